import { isOfEndedRun, type Winner } from '../domain/slot';
import { sameTerms, voucherFor, type ToldVoucher, type Voucher } from '../domain/voucher';
import { AppError } from '../errors';
import type { CampaignStore } from '../ports/campaign-store.port';
import type { Clock } from '../ports/clock.port';
import type { VoucherMatch, VoucherStore } from '../ports/voucher-store.port';
import type { WinnerStore } from '../ports/winner-store.port';

/**
 * Writes a winner's voucher. Idempotent: the voucher store is unique per (campaign, user), so a retried
 * or duplicated job finds the voucher already there and succeeds without writing a second one. A winner
 * deleted while the job ran (a reset, which deletes winners before vouchers) takes the voucher with it: the
 * winner is read again after the write, and a voucher without one is removed. So does a winner of a run a
 * reset ended (Campaign.run): the campaign is read again beside it, and a reset stores its new run before
 * anything of the old run is deleted, so a write that raced the reset sees the new run there.
 *
 * A job queued by the login that won carries the voucher that login answered with (`told`): it is the
 * voucher written, when the winner read is the record it was told from, so the stored voucher is the one
 * the winner was shown even if an operator changed the campaign's terms since. A job of a run a reset ended
 * writes nothing for the same user's winner of a later run (that run's job does).
 */
export class IssueVoucher {
  constructor(
    private readonly winners: Pick<WinnerStore, 'find'>,
    private readonly campaigns: Pick<CampaignStore, 'findById'>,
    private readonly vouchers: Pick<VoucherStore, 'insert' | 'findForUsers' | 'deleteOne'>,
    private readonly clock: Clock,
  ) {}

  async execute(
    campaignId: string,
    userId: string,
    job: VoucherJob = {},
  ): Promise<'created' | 'exists' | 'superseded'> {
    // Only a recorded winner gets a voucher, whatever a job claims. Both reads at once: one round trip of
    // waiting, not two, while a burst keeps the database busy.
    const readAt = this.clock.now();
    const [winner, campaign] = await Promise.all([
      this.winners.find(campaignId, userId),
      this.campaigns.findById(campaignId),
    ]);
    if (winner === null || (campaign !== null && isOfEndedRun(winner, campaign))) {
      // Only what this job may have written itself (an earlier try of it), never a later run's voucher for
      // the user, which may stand there by the time this delete runs (its worker frozen between the read and
      // the delete, an outside attack saw): a told job names its voucher's expiry; any job, no voucher
      // written after this read, since a later run's winner, and so its voucher, came after it.
      return this.noWinner(campaignId, userId, { expireDate: job.told?.terms.expireDate, writtenNoLaterThan: readAt });
    }
    // The job of a run a reset ended, for a user who won again since: that run's own job writes their voucher.
    if (job.run !== undefined && winner.run > job.run) return 'superseded';
    if (campaign === null) throw new AppError('CAMPAIGN_NOT_FOUND', undefined, { campaignId });
    const now = this.clock.now();
    const told = job.told !== undefined && isToldFrom(job.told, winner, job.run) ? job.told : undefined;
    const voucher: Voucher =
      told === undefined
        ? voucherFor(campaign, userId, winner.voucherCode, winner.createdAt, now)
        : { ...told.terms, campaignId, userId, createdAt: now };
    let inserted = await this.vouchers.insert(voucher);
    const [stored] =
      inserted === 'exists' && told !== undefined ? await this.vouchers.findForUsers(campaignId, [userId]) : [];
    if (stored !== undefined && !sameTerms(stored, voucher)) {
      // Another voucher stands where this one belongs (a job of an ended run that stopped before its check
      // removed what it wrote): the winner gets what they were told. Only while the winner is still the
      // record this job was told from: this job may itself be of an ended run, stopped since its read, and
      // the voucher standing the later run's (an outside attack saw a resumed worker delete it). The delete
      // names the stored voucher's expiry, so a voucher written meanwhile stays.
      const [again, current] = await Promise.all([
        this.winners.find(campaignId, userId),
        this.campaigns.findById(campaignId),
      ]);
      if (again === null || (current !== null && isOfEndedRun(again, current))) {
        return this.noWinner(campaignId, userId, { expireDate: voucher.expireDate });
      }
      if (again.run !== winner.run || again.createdAt.getTime() !== winner.createdAt.getTime()) return 'superseded';
      await this.vouchers.deleteOne(campaignId, userId, { expireDate: stored.expireDate });
      inserted = await this.vouchers.insert(voucher);
    }
    if (inserted === 'created') {
      const [after, current] = await Promise.all([
        this.winners.find(campaignId, userId),
        this.campaigns.findById(campaignId),
      ]);
      if (after === null || after.run !== winner.run || (current !== null && isOfEndedRun(winner, current))) {
        return this.noWinner(campaignId, userId, { expireDate: voucher.expireDate }); // the voucher written here, no other
      }
    }
    return inserted;
  }

  /** No winner (any more): no voucher may stand for them (of those `only` matches). */
  private async noWinner(campaignId: string, userId: string, only: VoucherMatch): Promise<never> {
    await this.vouchers.deleteOne(campaignId, userId, only);
    throw new AppError('WINNER_NOT_FOUND', undefined, { campaignId, userId });
  }
}

/** What a voucher job knows besides its winner: the run it was queued in, and the voucher the login told. */
export interface VoucherJob {
  run?: number;
  told?: ToldVoucher;
}

/** A told voucher is written only for the very record it was told from: same run, time won and code. */
function isToldFrom(told: ToldVoucher, winner: Winner, run: number | undefined): boolean {
  return (
    winner.run === run && winner.createdAt.getTime() === told.wonAt.getTime() && winner.voucherCode === told.terms.code
  );
}
