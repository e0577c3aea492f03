/** Hands a winner to the voucher workers. */
export interface VoucherQueue {
  /**
   * Ask for the winner's voucher to be issued. Idempotent: one job per (campaign, user, run: the campaign's
   * run the winner was recorded in); asking again while that job is known to the queue does not add a
   * second one. May fail: the winner record is the outbox.
   */
  requestIssue(campaignId: string, userId: string, run: number): Promise<void>;
}
