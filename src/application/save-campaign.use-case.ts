import { CAMPAIGN_DEFAULTS, campaignProblems, type Campaign } from '../domain/campaign';
import { AppError } from '../errors';
import type { AuditLog } from '../ports/audit-log.port';
import type { CampaignStore } from '../ports/campaign-store.port';
import type { Clock } from '../ports/clock.port';
import type { Logger } from '../ports/logger.port';
import type { SlotCounter } from '../ports/slot-counter.port';
import type { WinnerStore } from '../ports/winner-store.port';
import { orUnavailable } from './dependency-call';

/** Fields an operator may set; anything left out keeps its current value (or the default when new). */
export interface CampaignChanges {
  name?: string | undefined;
  limit?: number | undefined;
  discount?: number | undefined;
  voucherType?: string | undefined;
  description?: string | undefined;
  startsAt?: Date | undefined;
  endsAt?: Date | null | undefined;
  voucherValidityDays?: number | undefined;
  paused?: boolean | undefined;
}

export interface SaveOptions {
  /** Who makes the change, for the audit log. */
  actor: string;
  /** `create` refuses an existing id, `update` a missing one; `upsert` takes either. */
  mode: 'create' | 'update' | 'upsert';
  /** Audit action name when more telling than create/update (pause, resume). */
  action?: string;
}

export interface SaveCampaignResult {
  campaign: Campaign;
  previous: Campaign | null;
  created: boolean;
  /** Slots handed out so far, or null when the counter is missing and awaits reconciliation. */
  counter: number | null;
}

/**
 * Creates or changes a campaign. The counter decides first, atomically, whether the new limit is still
 * above the slots handed out; only then is the definition stored. A counter is created (at 0) only for a
 * campaign with no winner; any other missing counter is left to reconciliation, which rebuilds it from the
 * winners, so saving a campaign never re-opens slots that were won.
 */
export class SaveCampaign {
  constructor(
    private readonly campaigns: CampaignStore,
    private readonly winners: WinnerStore,
    private readonly slots: SlotCounter,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async execute(id: string, changes: CampaignChanges, options: SaveOptions): Promise<SaveCampaignResult> {
    const now = this.clock.now();
    const previous = await orUnavailable(this.campaigns.findById(id), 'campaign lookup');
    if (options.mode === 'create' && previous !== null)
      throw new AppError('CAMPAIGN_EXISTS', undefined, { campaignId: id });
    if (options.mode === 'update' && previous === null)
      throw new AppError('CAMPAIGN_NOT_FOUND', undefined, { campaignId: id });
    const campaign = merge(id, previous, changes, now);
    const problems = campaignProblems(campaign);
    if (problems.length > 0)
      throw new AppError('INVALID_REQUEST', `invalid campaign: ${problems.join('; ')}`, { problems });

    const settings = { campaignId: id, limit: campaign.limit, paused: campaign.paused };
    const winnerCount = await orUnavailable(this.winners.count(id), 'winner lookup');
    if (campaign.limit < winnerCount) {
      throw new AppError('CAMPAIGN_LIMIT_BELOW_COUNTER', undefined, { limit: campaign.limit, counter: winnerCount });
    }
    const published = await orUnavailable(this.slots.publish(settings, winnerCount === 0), 'counter update');
    if (published.kind === 'limit_below_counter') {
      throw new AppError('CAMPAIGN_LIMIT_BELOW_COUNTER', undefined, {
        limit: campaign.limit,
        counter: published.counter,
      });
    }
    try {
      await this.campaigns.save(campaign);
    } catch (error) {
      if (previous !== null) await this.restoreCounterSettings(previous);
      throw new AppError('SERVICE_UNAVAILABLE', 'campaign could not be stored', undefined, { cause: error });
    }
    await this.recordAudit(options, previous, campaign, now);
    this.logger.info(
      { campaignId: id, limit: campaign.limit, paused: campaign.paused, actor: options.actor },
      'campaign saved',
    );
    const counter = published.kind === 'published' ? published.counter : null;
    if (counter === null) this.logger.warn({ campaignId: id }, 'counter missing: claims closed until reconciliation');
    return { campaign, previous, created: previous === null, counter };
  }

  private async recordAudit(options: SaveOptions, before: Campaign | null, after: Campaign, at: Date): Promise<void> {
    const action = options.action ?? (before === null ? 'create' : 'update');
    try {
      await this.audit.record({ actor: options.actor, action, campaignId: after.id, before, after, at });
    } catch (error) {
      // The change is made; a lost audit line must be visible, not silently dropped.
      this.logger.error({ err: error, campaignId: after.id, actor: options.actor, action }, 'audit entry not written');
    }
  }

  private async restoreCounterSettings(previous: Campaign): Promise<void> {
    try {
      await this.slots.publish({ campaignId: previous.id, limit: previous.limit, paused: previous.paused }, false);
    } catch (error) {
      this.logger.error({ err: error, campaignId: previous.id }, 'counter settings not restored after failed save');
    }
  }
}

function merge(id: string, previous: Campaign | null, changes: CampaignChanges, now: Date): Campaign {
  const base: Campaign = previous ?? {
    id,
    name: id,
    ...CAMPAIGN_DEFAULTS,
    startsAt: now,
    endsAt: null,
    paused: false,
    createdAt: now,
    updatedAt: now,
  };
  const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
  return { ...base, ...defined, id, createdAt: base.createdAt, updatedAt: now };
}
