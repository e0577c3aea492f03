import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RedisClient } from '../src/adapters/redis/scripts';

import type { IssueVoucher } from '../src/application/issue-voucher.use-case';
import { QUEUE_NAMES, toldFromJobData, type VoucherIssueJobData } from '../src/adapters/queue/queue-names';
import { cappedExponentialBackoff } from '../src/adapters/queue/job-options';
import { AppError, PERMANENT_JOB_ERRORS } from '../src/errors';
import type { Logger } from '../src/ports/logger.port';
import { inJobContext, isFinalFailure } from './jobs';

export interface VoucherIssueWorkerOptions {
  connection: RedisClient;
  prefix: string;
  concurrency: number;
  /** The longest wait between two tries of a job (CAPPED_EXPONENTIAL). */
  backoffMaxMs: number;
  /** Lower in tests so a killed worker's jobs are picked up quickly. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

/**
 * Consumes voucher-issue jobs. A permanent failure becomes UnrecoverableError (no retries); anything else
 * is rethrown so BullMQ retries with backoff. The use case is idempotent, so a retry never makes a
 * second voucher. A failure that will be retried is logged as such (warn); the final one, by the `failed`
 * listener, as final (error), with the attempts it took.
 */
export function startVoucherIssueWorker(
  issueVoucher: IssueVoucher,
  logger: Logger,
  options: VoucherIssueWorkerOptions,
): Worker<VoucherIssueJobData> {
  const worker = new Worker<VoucherIssueJobData>(
    QUEUE_NAMES.voucherIssue,
    (job: Job<VoucherIssueJobData>) =>
      inJobContext(job.data, async () => {
        const { campaignId, userId, run } = job.data;
        const attempt = job.attemptsMade + 1;
        const told = toldFromJobData(job.data);
        try {
          const result = await issueVoucher.execute(campaignId, userId, { run, told });
          logger.info(
            { jobId: job.id, campaignId, userId, result, attempt },
            result === 'superseded'
              ? 'voucher job of an ended run: the user won again since, left to that run'
              : 'voucher issued',
          );
          return result;
        } catch (error) {
          if (error instanceof AppError && PERMANENT_JOB_ERRORS.has(error.code)) {
            throw new UnrecoverableError(`${error.code}: ${error.message}`);
          }
          if (attempt < (job.opts.attempts ?? 1)) {
            logger.warn({ err: error, jobId: job.id, campaignId, userId, attempt }, 'voucher job failed; will retry');
          }
          throw error;
        }
      }),
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      settings: { backoffStrategy: cappedExponentialBackoff(options.backoffMaxMs) },
      ...(options.lockDurationMs === undefined ? {} : { lockDuration: options.lockDurationMs }),
      ...(options.stalledIntervalMs === undefined ? {} : { stalledInterval: options.stalledIntervalMs }),
    },
  );
  worker.on('failed', (job, error) => {
    if (job === undefined || !isFinalFailure(job, error)) return;
    void inJobContext(job.data, async () => {
      const { campaignId, userId } = job.data;
      if (error.message.startsWith('WINNER_NOT_FOUND')) {
        // Not a delivery that failed: there is nobody to deliver to (after a rehearsal's reset, one line per
        // job of the ended run still queued), and nothing for reconciliation to re-queue.
        logger.warn(
          { jobId: job.id, campaignId, userId, run: job.data.run },
          'voucher job dropped: no winner record for it (a reset or an ended run removed it)',
        );
        return;
      }
      logger.error(
        { err: error, jobId: job.id, campaignId, userId, attempts: job.attemptsMade },
        'voucher job failed for good: no more retries (reconciliation re-queues it while the winner lacks a voucher)',
      );
    });
  });
  worker.on('error', (error) => logger.error({ err: error }, 'voucher worker error'));
  return worker;
}
