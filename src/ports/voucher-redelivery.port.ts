/** What redelivery did for one winner's voucher request. */
export type RedeliveryResult =
  /** No usable job existed (never enqueued, lost with Redis, or finished without a voucher): a new one was added. */
  | 'added'
  /** The job had failed for good (attempts exhausted): it was retried. */
  | 'retried'
  /** The job was waiting out a backoff: it was made to run now. */
  | 'promoted'
  /** The job is waiting or running: nothing to do. */
  | 'in_queue'
  /** The job finished and the voucher is there (it was written after the caller looked): nothing to do. */
  | 'delivered';

/** Makes sure a winner's voucher request is really in the queue and will run (used by reconciliation). */
export interface VoucherRedelivery {
  /**
   * Looks the winner's job (of the run it was recorded in) up and acts on its state. Re-adding with the same job id alone would silently
   * return a retained finished job, so a failed job is retried and a finished one replaced, unless
   * `delivered()`, asked once the job is seen finished, says the voucher is there (a job finishes only after
   * writing it, so a voucher missing then was really lost).
   */
  redeliver(
    campaignId: string,
    userId: string,
    run: number,
    delivered: () => Promise<boolean>,
  ): Promise<RedeliveryResult>;
}
