import { isRunningAt } from '../domain/campaign';
import { AppError } from '../errors';
import type { AuditLog } from '../ports/audit-log.port';
import type { CampaignStore } from '../ports/campaign-store.port';
import type { Clock } from '../ports/clock.port';
import type { Logger } from '../ports/logger.port';
import type { ParticipationStore } from '../ports/participation-store.port';
import type { SlotCounter } from '../ports/slot-counter.port';
import type { VoucherStore } from '../ports/voucher-store.port';
import type { WinnerStore } from '../ports/winner-store.port';

export interface ResetCampaignResult {
  winners: number;
  vouchers: number;
  participations: number;
}

/**
 * Wipes a campaign's results so it can run again from slot 1: for rehearsals before launch. The only
 * operation that lowers a counter, and refused while the campaign runs (a running campaign's claims must
 * never see a counter go backwards). The database goes first, the counter last, so no slot is re-opened
 * while a winner of it is still recorded.
 */
export class ResetCampaign {
  constructor(
    private readonly campaigns: CampaignStore,
    private readonly winners: WinnerStore,
    private readonly vouchers: VoucherStore,
    private readonly participations: ParticipationStore,
    private readonly slots: SlotCounter,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async execute(campaignId: string, actor: string): Promise<ResetCampaignResult> {
    const campaign = await this.campaigns.findById(campaignId);
    if (campaign === null) throw new AppError('CAMPAIGN_NOT_FOUND', undefined, { campaignId });
    if (isRunningAt(campaign, this.clock.now())) throw new AppError('CAMPAIGN_RUNNING', undefined, { campaignId });
    // Winners before vouchers: a voucher job still running re-reads its winner after writing, and removes
    // the voucher it finds no winner for (IssueVoucher), so none outlives the reset.
    const winners = await this.winners.deleteCampaign(campaignId);
    const result = {
      vouchers: await this.vouchers.deleteCampaign(campaignId),
      winners,
      participations: await this.participations.deleteCampaign(campaignId, this.clock.now()),
    };
    await this.slots.reset(campaignId);
    await this.audit.record({
      actor,
      action: 'reset',
      campaignId,
      before: result,
      after: { counter: 0 },
      at: this.clock.now(),
    });
    this.logger.warn({ campaignId, actor, ...result }, 'campaign reset: results deleted, counter at 0');
    return result;
  }
}
