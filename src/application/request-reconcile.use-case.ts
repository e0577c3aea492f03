import { AppError } from '../errors';
import type { AuditLog } from '../ports/audit-log.port';
import type { CampaignStore } from '../ports/campaign-store.port';
import type { Clock } from '../ports/clock.port';
import type { ReconcileTrigger } from '../ports/reconcile-trigger.port';
import { orUnavailable } from './support/dependency-call';

/** An operator asks for a campaign to be reconciled now (the workers run it); recorded in the audit log. */
export class RequestReconcile {
  constructor(
    private readonly campaigns: CampaignStore,
    private readonly trigger: ReconcileTrigger,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  async execute(campaignId: string, actor: string): Promise<void> {
    if ((await orUnavailable(this.campaigns.findById(campaignId), 'campaign lookup')) === null) {
      throw new AppError('CAMPAIGN_NOT_FOUND', undefined, { campaignId });
    }
    await orUnavailable(this.trigger.requestReconcile(campaignId), 'reconcile request');
    await this.audit.record({
      actor,
      action: 'reconcile',
      campaignId,
      before: null,
      after: null,
      at: this.clock.now(),
    });
  }
}
