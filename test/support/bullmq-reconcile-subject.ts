import { Queue, Worker, type Job } from 'bullmq';

import { BullmqReconcileTrigger } from '../../src/adapters/queue/bullmq-reconcile-trigger';
import { QUEUE_NAMES, type ReconcileJobData } from '../../src/adapters/queue/queue-names';
import type { RedisClient } from '../../src/adapters/redis/scripts';
import type { ReconcileTriggerSubject } from '../contract/reconcile-trigger.contract';

/**
 * The BullMQ reconcile trigger under the contract: a queue on `queueConnection`, and a worker without a
 * processor on `workerConnection` that plays the reconcile worker (takes every waiting job, finishes them
 * when told). `release` closes what the caller opened for it.
 */
export function bullmqReconcileSubject(
  queueConnection: RedisClient,
  workerConnection: RedisClient,
  prefix: string,
  release: () => void,
): ReconcileTriggerSubject {
  const queue = new Queue<ReconcileJobData>(QUEUE_NAMES.reconcile, { connection: queueConnection, prefix });
  const worker = new Worker<ReconcileJobData>(QUEUE_NAMES.reconcile, null, { connection: workerConnection, prefix });
  return {
    trigger: new BullmqReconcileTrigger(queue),
    take: async () => {
      const jobs: Job<ReconcileJobData>[] = [];
      for (;;) {
        const job = await worker.getNextJob('contract', { block: false });
        if (job === undefined) break;
        jobs.push(job);
      }
      return {
        campaigns: jobs.map((job) => job.data.campaignId ?? '(every campaign)').sort(),
        finish: async () => {
          for (const job of jobs) await job.moveToCompleted('done', 'contract', false);
        },
      };
    },
    close: async () => {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      release();
    },
  };
}
