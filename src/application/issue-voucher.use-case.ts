import { isOfEndedRun } from '../domain/slot';
import { voucherFor, type ToldVoucher } from '../domain/voucher';
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
 *
 * A job queued by the login that won carries the voucher that login answered with (`asTold`): it is written
 * first and checked after, in the same way, one round trip sooner than reading first while a burst keeps the
 * database busy (writeAsTold).
 */
export class IssueVoucher {
  constructor(
    private readonly winners: WinnerStore,
    private readonly campaigns: CampaignStore,
    private readonly vouchers: VoucherStore,
    private readonly clock: Clock,
  ) {}

  async execute(
    campaignId: string,
    userId: string,
    asTold?: { told: ToldVoucher; run: number },
  ): Promise<'created' | 'exists'> {
    if (asTold !== undefined) {
      const written = await this.writeAsTold(campaignId, userId, asTold.told, asTold.run);
      if (written !== 'not_as_told') return written;
    }
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

  /**
   * Writes the told voucher, then reads the winner and the campaign (a read begun after the write) and
   * keeps it only if the winner is the record it was told from: same run, same time won, same code. No
   * winner, or one of a run a reset ended: the voucher goes (noWinner), as after any write. Another record
   * (the job is of an earlier run, say): a voucher written here is removed, and the caller makes the voucher
   * from the record instead; one found already there stays.
   */
  private async writeAsTold(
    campaignId: string,
    userId: string,
    told: ToldVoucher,
    run: number,
  ): Promise<'created' | 'exists' | 'not_as_told'> {
    const inserted = await this.vouchers.insert({ ...told.terms, campaignId, userId, createdAt: this.clock.now() });
    const [winner, campaign] = await Promise.all([
      this.winners.find(campaignId, userId),
      this.campaigns.findById(campaignId),
    ]);
    if (winner === null || (campaign !== null && isOfEndedRun(winner, campaign))) {
      return this.noWinner(campaignId, userId);
    }
    const asTold =
      campaign !== null &&
      winner.run === run &&
      winner.createdAt.getTime() === told.wonAt.getTime() &&
      winner.voucherCode === told.terms.code;
    if (asTold) return inserted;
    if (inserted === 'created') await this.vouchers.deleteOne(campaignId, userId);
    return 'not_as_told';
  }

  /** No winner (any more): no voucher may stand for them. */
  private async noWinner(campaignId: string, userId: string): Promise<never> {
    await this.vouchers.deleteOne(campaignId, userId);
    throw new AppError('WINNER_NOT_FOUND', undefined, { campaignId, userId });
  }
}
