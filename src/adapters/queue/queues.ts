import { Queue } from 'bullmq';

import type { Config } from '../../config';
import type { Logger } from '../../ports/logger.port';
import type { RedisClient } from '../redis/scripts';
import { QUEUE_NAMES, type ReconcileJobData, type VoucherIssueJobData } from './queue-names';

export interface Queues {
  voucherIssue: Queue<VoucherIssueJobData>;
  reconcile: Queue<ReconcileJobData>;
  close(): Promise<void>;
}

/**
 * The BullMQ queues over a connection (which they share and do not close). Their connection errors go to
 * the log: without a listener BullMQ prints each one to stderr.
 */
export function createQueues(redis: RedisClient, config: Config, logger: Logger): Queues {
  const options = { connection: redis, prefix: config.queue.prefix };
  const voucherIssue = new Queue<VoucherIssueJobData>(QUEUE_NAMES.voucherIssue, options);
  const reconcile = new Queue<ReconcileJobData>(QUEUE_NAMES.reconcile, options);
  for (const queue of [voucherIssue, reconcile]) {
    queue.on('error', (error: Error) => logger.warn({ err: error, queue: queue.name }, 'queue connection error'));
  }
  return {
    voucherIssue,
    reconcile,
    close: async () => {
      await Promise.all([voucherIssue.close(), reconcile.close()]);
    },
  };
}
