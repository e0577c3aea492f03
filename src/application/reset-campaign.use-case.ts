import { isRunningAt, settingsOf, type Campaign } from '../domain/campaign';
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

/** A reset still `resetting` after this long stopped halfway (a reset takes seconds): another may take over. */
export const RESET_TAKEOVER_MS = 60_000;

/**
 * Wipes a campaign's results so it can run again from slot 1: for rehearsals before launch. The only
 * operation that lowers a counter, and only for a campaign that has ended (its end stored and past): a
 * running campaign's claims must never see a counter go backwards, and one that has not started yet could
 * start while the reset deletes (an ended campaign stays ended; only a change can reopen it, and none lands
 * during the reset). The database goes first, the counter last, so no slot is re-opened
 * while a winner of it is still recorded.
 *
 * It begins a new run before it deletes anything, in one compare-and-set on the campaign's version:
 * - `run` grows by one: a winner is recorded with the run its claim read, and one of an ended run (its
 *   insert landed after the delete) is removed by its claim, by reconciliation, and gets no voucher;
 * - `runSince` becomes a version above every version the counter has handed slots out under, so a slot the
 *   old counter handed out (before the reset zeroed it) is never recorded, whatever its claim reads later;
 * - `resetting` is set: no change of the campaign lands until the reset finishes (409 CAMPAIGN_RESETTING),
 *   so nobody can open it while its results are being deleted. The reset's last write clears it. Another
 *   reset is refused meanwhile, unless this one began more than RESET_TAKEOVER_MS ago (it stopped halfway):
 *   running the reset again then finishes the job.
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
    const now = this.clock.now();
    if (isRunningAt(campaign, now)) throw new AppError('CAMPAIGN_RUNNING', undefined, { campaignId });
    if (campaign.endsAt === null || campaign.endsAt > now) {
      throw new AppError('CAMPAIGN_NOT_ENDED', undefined, { campaignId, startsAt: campaign.startsAt });
    }
    if (campaign.resetting && now.getTime() - campaign.updatedAt.getTime() < RESET_TAKEOVER_MS) {
      throw new AppError('CAMPAIGN_RESETTING', undefined, { campaignId });
    }
    const counter = await this.slots.inspect(campaignId);
    const resetting = await this.beginRun(campaign, counter.version ?? 0);
    // Winners before vouchers: a voucher job still running re-reads its winner after writing, and removes
    // the voucher it finds no winner for (IssueVoucher), so none outlives the reset.
    const winners = await this.winners.deleteCampaign(campaignId);
    const result = {
      vouchers: await this.vouchers.deleteCampaign(campaignId),
      winners,
      participations: await this.participations.deleteCampaign(campaignId, this.clock.now()),
    };
    await this.slots.reset(campaignId);
    const next = await this.finishRun(resetting);
    await this.publish(next);
    await this.audit.record({
      actor,
      action: 'reset',
      campaignId,
      before: { ...result, run: campaign.run },
      after: { counter: 0, run: next.run },
      at: this.clock.now(),
    });
    this.logger.warn({ campaignId, actor, run: next.run, ...result }, 'campaign reset: results deleted, counter at 0');
    return result;
  }

  /** The next run, stored as a new version of the campaign: refused if anyone changed it since it was read. */
  private async beginRun(campaign: Campaign, counterVersion: number): Promise<Campaign> {
    // Above the counter's version too: it may be a version ahead of the database (a save between its writes).
    const version = Math.max(campaign.version, counterVersion) + 1;
    const next: Campaign = {
      ...campaign,
      run: campaign.run + 1,
      runSince: version,
      resetting: true,
      version,
      updatedAt: this.clock.now(),
    };
    return this.store(next, campaign.version);
  }

  /**
   * The reset's last write: changes are accepted again. Only another reset can have written since the first
   * (it took this one over, as if it had stopped): that one finishes the job.
   */
  private async finishRun(resetting: Campaign): Promise<Campaign> {
    const next = { ...resetting, resetting: false, version: resetting.version + 1, updatedAt: this.clock.now() };
    if ((await this.campaigns.save(next, resetting.version)) === 'conflict') {
      throw new AppError('CAMPAIGN_RESETTING', 'Another reset took this one over; it finishes the job.', {
        campaignId: next.id,
      });
    }
    return next;
  }

  /** Nothing has changed when this refuses. */
  private async store(next: Campaign, expectedVersion: number): Promise<Campaign> {
    if ((await this.campaigns.save(next, expectedVersion)) === 'conflict') {
      throw new AppError('CAMPAIGN_CHANGED', undefined, { campaignId: next.id });
    }
    return next;
  }

  /**
   * The counter learns the new version (its settings are unchanged), as settings superseding the ones it
   * ran under: in the same script, the counter comes down to 0 and the slot map and free list are dropped,
   * so a slot handed out between the zeroing and this (under the old version, refused by every claim) is
   * gone too. If this fails, reconciliation publishes the same way.
   */
  private async publish(next: Campaign): Promise<void> {
    try {
      await this.slots.publish(next.id, settingsOf(next), false, { superseded: { version: next.version, floor: 0 } });
    } catch (error) {
      this.logger.warn({ err: error, campaignId: next.id }, 'reset: settings not published; left to reconciliation');
    }
  }
}
