import type { BackoffStrategy, JobsOptions } from 'bullmq';

export interface VoucherJobTuning {
  /** Tries before a job is left failed (reconciliation picks it up from there). */
  attempts: number;
  /** First retry delay; doubles each time. */
  backoffMs: number;
}

/** The voucher jobs' backoff: doubling from the first delay, never above the cap the workers are given. */
export const CAPPED_EXPONENTIAL = 'capped-exponential';

/**
 * The workers' strategy for CAPPED_EXPONENTIAL: the delay before try `attemptsMade + 1` is the first delay
 * doubled each time, at most `maxMs`. Uncapped, a job that failed through a database outage slept 32 s, then
 * 64 s, after the database was back (an outside attack saw vouchers 80 s after the outage ended); capped,
 * it runs within `maxMs` of the database's return, and the attempts give the same total patience.
 */
export function cappedExponentialBackoff(maxMs: number): BackoffStrategy {
  return (attemptsMade, type, _error, job) => {
    if (type !== CAPPED_EXPONENTIAL) throw new Error(`unknown backoff strategy ${String(type)}`);
    const backoff = job?.opts.backoff;
    const first = typeof backoff === 'object' ? (backoff.delay ?? 0) : (backoff ?? 0);
    return Math.min(maxMs, first * 2 ** Math.max(0, attemptsMade - 1));
  };
}

/**
 * Retries with capped exponential backoff; finished jobs are kept for a bounded time and count so Redis
 * memory stays flat, yet long enough to see them in Bull Board and to de-duplicate repeated logins.
 */
export function voucherJobOptions(tuning: VoucherJobTuning): JobsOptions {
  return {
    attempts: tuning.attempts,
    backoff: { type: CAPPED_EXPONENTIAL, delay: tuning.backoffMs },
    removeOnComplete: { age: 24 * 60 * 60, count: 100_000 },
    removeOnFail: { age: 7 * 24 * 60 * 60, count: 100_000 },
  };
}
