import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RedisClient } from '../src/adapters/redis/scripts';

import type { IssueVoucher } from '../src/application/issue-voucher.use-case';
import { QUEUE_NAMES, type VoucherIssueJobData } from '../src/adapters/queue/queue-names';
import { AppError } from '../src/errors';
import type { Logger } from '../src/ports/logger.port';

export interface VoucherIssueWorkerOptions {
  connection: RedisClient;
  prefix: string;
  concurrency: number;
  /** Lower in tests so a killed worker's jobs are picked up quickly. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

/** Errors that no retry can fix: the job names no winner, or its campaign is gone. */
const PERMANENT = new Set(['WINNER_NOT_FOUND', 'CAMPAIGN_NOT_FOUND']);

/**
 * Consumes voucher-issue jobs. A permanent failure becomes UnrecoverableError (no retries); anything else
 * is rethrown so BullMQ retries with backoff. The use case is idempotent, so a retry never makes a
 * second voucher.
 */
export function startVoucherIssueWorker(
  issueVoucher: IssueVoucher,
  logger: Logger,
  options: VoucherIssueWorkerOptions,
): Worker<VoucherIssueJobData> {
  const worker = new Worker<VoucherIssueJobData>(
    QUEUE_NAMES.voucherIssue,
    async (job: Job<VoucherIssueJobData>) => {
      const { campaignId, userId } = job.data;
      try {
        const result = await issueVoucher.execute(campaignId, userId);
        logger.info({ jobId: job.id, campaignId, userId, result, attempt: job.attemptsMade + 1 }, 'voucher issued');
        return result;
      } catch (error) {
        if (error instanceof AppError && PERMANENT.has(error.code)) {
          logger.error({ jobId: job.id, campaignId, userId, errorCode: error.code }, 'voucher job failed for good');
          throw new UnrecoverableError(`${error.code}: ${error.message}`);
        }
        logger.warn(
          { err: error, jobId: job.id, campaignId, userId, attempt: job.attemptsMade + 1 },
          'voucher job will retry',
        );
        throw error;
      }
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      ...(options.lockDurationMs === undefined ? {} : { lockDuration: options.lockDurationMs }),
      ...(options.stalledIntervalMs === undefined ? {} : { stalledInterval: options.stalledIntervalMs }),
    },
  );
  worker.on('error', (error) => logger.error({ err: error }, 'voucher worker error'));
  return worker;
}
