import { isOfEndedRun } from '../domain/slot';
import { voucherFor } from '../domain/voucher';
import { AppError } from '../errors';
import type { CampaignStore } from '../ports/campaign-store.port';
import type { Clock } from '../ports/clock.port';
import type { VoucherStore } from '../ports/voucher-store.port';
import type { WinnerStore } from '../ports/winner-store.port';

/**
 * Writes a winner's voucher. Idempotent: the voucher store is unique per (campaign, user), so a retried
 * or duplicated job finds the voucher already there and succeeds without writing a second one. A winner
 * deleted while the job ran (a reset, which deletes winners before vouchers) takes the voucher with it: the
 * winner is read again after the write, and a voucher without one is removed. So does a winner of a run a
 * reset ended (Campaign.run): the campaign is read again beside it, and a reset stores its new run before
 * anything of the old run is deleted, so a write that raced the reset sees the new run there.
 */
export class IssueVoucher {
  constructor(
    private readonly winners: WinnerStore,
    private readonly campaigns: CampaignStore,
    private readonly vouchers: VoucherStore,
    private readonly clock: Clock,
  ) {}

  async execute(campaignId: string, userId: string): Promise<'created' | 'exists'> {
    // Only a recorded winner gets a voucher, whatever a job claims. Both reads at once: one round trip of
    // waiting, not two, while a burst keeps the database busy.
    const [winner, campaign] = await Promise.all([
      this.winners.find(campaignId, userId),
      this.campaigns.findById(campaignId),
    ]);
    if (winner === null || (campaign !== null && isOfEndedRun(winner, campaign))) {
      return this.noWinner(campaignId, userId);
    }
    if (campaign === null) throw new AppError('CAMPAIGN_NOT_FOUND', undefined, { campaignId });
    const voucher = voucherFor(campaign, userId, winner.voucherCode, winner.createdAt, this.clock.now());
    const inserted = await this.vouchers.insert(voucher);
    if (inserted === 'created') {
      const [after, current] = await Promise.all([
        this.winners.find(campaignId, userId),
        this.campaigns.findById(campaignId),
      ]);
      if (after === null || after.run !== winner.run || (current !== null && isOfEndedRun(winner, current))) {
        return this.noWinner(campaignId, userId);
      }
    }
    return inserted;
  }

  /** No winner (any more): no voucher may stand for them. */
  private async noWinner(campaignId: string, userId: string): Promise<never> {
    await this.vouchers.deleteOne(campaignId, userId);
    throw new AppError('WINNER_NOT_FOUND', undefined, { campaignId, userId });
  }
}
