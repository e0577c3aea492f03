import type { ToldVoucher } from '../domain/voucher';

/** Hands a winner to the voucher workers. */
export interface VoucherQueue {
  /**
   * Ask for the winner's voucher to be issued. Idempotent: one job per (campaign, user, run: the campaign's
   * run the winner was recorded in); asking again while that job is known to the queue does not add a
   * second one. `told`: the voucher the winner was answered with, which the job writes once it has read the
   * record it was told from (so a change of the campaign's terms since does not change it). May fail: the
   * winner record is the outbox.
   */
  requestIssue(campaignId: string, userId: string, run: number, told?: ToldVoucher): Promise<void>;
}
