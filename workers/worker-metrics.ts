import type { Job, Queue, Worker } from 'bullmq';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

import type { DependencyCheck } from '../src/adapters/ops/dependency-checks';
import { createRegistry, registerDependencyMetrics, registerQueueMetrics } from '../src/adapters/ops/standard-metrics';
import type { ReconcileResult } from '../src/application/reconcile-campaign.use-case';
import { isFinalFailure } from './jobs';

/** What reconciliation fixed, by kind (the fields of its report). */
export const FIX_KINDS = [
  'settingsRestored',
  'settingsAligned',
  'counterRaised',
  'holdersRestored',
  'holdersCorrected',
  'claimsCompleted',
  'pendingSettled',
  'pendingRemoved',
  'slotsFreed',
  'freeListCleaned',
  'vouchersRequeued',
  'endedRunRemoved',
  'orphanVouchersRemoved',
] as const;

export type ReconcileTrigger = 'scheduled' | 'on_demand' | 'recovery';

export interface WorkerMetrics {
  registry: Registry;
  /** Counts a BullMQ worker's finished jobs, and times them. */
  watch(worker: Worker): void;
  /** One reconciliation run; `all` when it looked at every campaign worth it (the others are forgotten). */
  observeReconcile(trigger: ReconcileTrigger, results: readonly ReconcileResult[], all: boolean): void;
}

/**
 * The worker's Prometheus metrics (every one listed in the README's metrics table): Node's standard ones,
 * queue depth and age, whether Redis and MongoDB answer, jobs by result and duration, reconciliation runs
 * and fixes, and the winners still without a voucher as the last reconciliation of each campaign saw them.
 */
export function createWorkerMetrics(
  queues: readonly Queue[],
  checks: readonly DependencyCheck[],
  checkTimeoutMs: number,
): WorkerMetrics {
  const registry = createRegistry();
  registerQueueMetrics(registry, queues, checkTimeoutMs);
  registerDependencyMetrics(registry, checks, checkTimeoutMs);

  const jobs = new Counter({
    name: 'promotion_jobs_total',
    help: 'Jobs this worker finished, by queue and result (completed; failed and retrying; failed for good).',
    labelNames: ['queue', 'result'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'promotion_job_duration_seconds',
    help: 'Time a job ran on this worker (not its wait in the queue), by queue.',
    labelNames: ['queue'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const runs = new Counter({
    name: 'promotion_reconcile_runs_total',
    help: 'Reconciliation runs on this worker, by trigger (scheduled, on_demand, recovery) and result.',
    labelNames: ['trigger', 'result'] as const,
    registers: [registry],
  });
  const fixed = new Counter({
    name: 'promotion_reconcile_fixed_total',
    help: "Drift this worker's reconciliation fixed, by kind (see docs/runbook.md): any is worth a look.",
    labelNames: ['kind'] as const,
    registers: [registry],
  });

  /** Per campaign, as its last reconciliation saw it: winners without a voucher, and since when. */
  const waiting = new Map<string, { count: number; since: number | null }>();
  new Gauge({
    name: 'promotion_winners_without_voucher',
    help: 'Winners without a voucher, as the last reconciliation of each campaign counted them.',
    registers: [registry],
    aggregator: 'max',
    collect() {
      this.set([...waiting.values()].reduce((sum, { count }) => sum + count, 0));
    },
  });
  new Gauge({
    name: 'promotion_winner_without_voucher_age_seconds',
    help: 'How long ago the earliest winner still without a voucher (at the last reconciliation) won; 0 when none.',
    registers: [registry],
    aggregator: 'max',
    collect() {
      const since = [...waiting.values()].flatMap(({ since }) => (since === null ? [] : [since]));
      this.set(since.length === 0 ? 0 : (Date.now() - Math.min(...since)) / 1_000);
    },
  });

  const finished = (job: Job, result: 'completed' | 'retrying' | 'failed'): void => {
    jobs.inc({ queue: job.queueName, result });
    if (job.processedOn !== undefined && job.finishedOn !== undefined) {
      duration.observe({ queue: job.queueName }, (job.finishedOn - job.processedOn) / 1_000);
    }
  };

  return {
    registry,
    watch: (worker) => {
      worker.on('completed', (job) => finished(job, 'completed'));
      worker.on('failed', (job, error) => {
        if (job !== undefined) finished(job, isFinalFailure(job, error) ? 'failed' : 'retrying');
      });
    },
    observeReconcile: (trigger, results, all) => {
      const failed = results.some((result) => 'error' in result);
      runs.inc({ trigger, result: failed ? 'error' : 'ok' });
      if (all) waiting.clear();
      for (const result of results) {
        if ('error' in result) continue;
        const amounts: Record<(typeof FIX_KINDS)[number], number> = {
          settingsRestored: result.settingsRestored ? 1 : 0,
          settingsAligned: result.settingsAligned ? 1 : 0,
          counterRaised: result.counterAfter !== result.counterBefore ? 1 : 0,
          holdersRestored: result.holdersRestored,
          holdersCorrected: result.holdersCorrected,
          claimsCompleted: result.claimsCompleted,
          pendingSettled: result.pendingSettled,
          pendingRemoved: result.pendingRemoved,
          slotsFreed: result.slotsFreed,
          freeListCleaned: result.freeListCleaned,
          vouchersRequeued: result.vouchersRequeued,
          endedRunRemoved: result.endedRunRemoved,
          orphanVouchersRemoved: result.orphanVouchersRemoved,
        };
        for (const kind of FIX_KINDS) if (amounts[kind] > 0) fixed.inc({ kind }, amounts[kind]);
        const count = result.vouchersRequeued + result.vouchersInQueue;
        const since = result.oldestWithoutVoucher?.getTime() ?? null;
        if (count === 0) waiting.delete(result.campaignId);
        else waiting.set(result.campaignId, { count, since });
      }
    },
  };
}
