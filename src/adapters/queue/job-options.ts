import type { JobsOptions } from 'bullmq';

export interface VoucherJobTuning {
  /** Tries before a job is left failed (reconciliation picks it up from there). */
  attempts: number;
  /** First retry delay; doubles each time. */
  backoffMs: number;
}

export const DEFAULT_VOUCHER_JOB_TUNING: VoucherJobTuning = { attempts: 8, backoffMs: 1_000 };

/**
 * Retries with exponential backoff; finished jobs are kept for a bounded time and count so Redis memory
 * stays flat, yet long enough to see them in Bull Board and to de-duplicate repeated logins.
 */
export function voucherJobOptions(tuning: VoucherJobTuning): JobsOptions {
  return {
    attempts: tuning.attempts,
    backoff: { type: 'exponential', delay: tuning.backoffMs },
    removeOnComplete: { age: 24 * 60 * 60, count: 100_000 },
    removeOnFail: { age: 7 * 24 * 60 * 60, count: 100_000 },
  };
}
