import { Worker, type Job, type Queue } from 'bullmq';
import type { RedisClient } from '../src/adapters/redis/scripts';

import { RECONCILE_SCHEDULER_ID, QUEUE_NAMES, type ReconcileJobData } from '../src/adapters/queue/queue-names';
import { hasDrift, type ReconcileCampaign, type ReconcileReport } from '../src/application/reconcile-campaign.use-case';
import { inJobContext } from './jobs';
import type { WorkerMetrics } from './worker-metrics';
import type { Logger } from '../src/ports/logger.port';

export interface ReconcileWorkerOptions {
  connection: RedisClient;
  prefix: string;
  intervalMs: number;
  /** Counts each run and what it fixed. */
  metrics: WorkerMetrics;
}

/**
 * (Re)installs the periodic reconciliation: an idempotent upsert, run at worker start, on every recovery
 * check and after every on-demand run, so a FLUSHALL that wipes the scheduler costs one check interval.
 */
export async function installReconcileScheduler(queue: Queue<ReconcileJobData>, intervalMs: number): Promise<void> {
  await queue.upsertJobScheduler(
    RECONCILE_SCHEDULER_ID,
    { every: intervalMs },
    { name: 'reconcile-all', data: {}, opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
  );
}

function summary(report: ReconcileReport): string {
  return `${report.campaignId}: counter ${String(report.counterBefore)}->${String(report.counterAfter)}, ${report.claimsCompleted} completed, ${report.slotsFreed} freed, ${report.vouchersRequeued} vouchers requeued`;
}

/** Runs reconcile jobs: one campaign (on demand) or every campaign (the scheduler). One at a time. */
export function startReconcileWorker(
  reconcile: ReconcileCampaign,
  queue: Queue<ReconcileJobData>,
  logger: Logger,
  options: ReconcileWorkerOptions,
): Worker<ReconcileJobData> {
  const worker = new Worker<ReconcileJobData>(
    QUEUE_NAMES.reconcile,
    (job: Job<ReconcileJobData>) =>
      inJobContext(job.data, async () => {
        const { campaignId, unfinished } = job.data;
        if (campaignId === undefined) {
          const results = await reconcile.executeAll({ unfinished: unfinished === true });
          options.metrics.observeReconcile(unfinished === true ? 'recovery' : 'scheduled', results, true);
          if (unfinished === true) {
            logger.info({ jobId: job.id, campaigns: results.length }, 'recovery reconciliation done');
          }
          const failed = results.filter((r): r is { campaignId: string; error: Error } => 'error' in r);
          if (failed.length > 0)
            throw new Error(`reconciliation failed for ${failed.map((f) => f.campaignId).join(', ')}`);
          return results.filter((r): r is ReconcileReport => !('error' in r) && hasDrift(r)).map(summary);
        }
        const report = await reconcile.execute(campaignId).catch((error: unknown) => {
          const failure = error instanceof Error ? error : new Error(String(error));
          options.metrics.observeReconcile('on_demand', [{ campaignId, error: failure }], false);
          throw error;
        });
        options.metrics.observeReconcile('on_demand', [report], false);
        logger.info({ jobId: job.id, campaignId, drift: hasDrift(report) }, 'on-demand reconciliation done');
        await installReconcileScheduler(queue, options.intervalMs);
        return [summary(report)];
      }),
    { connection: options.connection, prefix: options.prefix, concurrency: 1 },
  );
  worker.on('error', (error) => logger.error({ err: error }, 'reconcile worker error'));
  return worker;
}
