import type { Queue } from 'bullmq';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { CampaignResult } from '../../domain/login-outcome';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

export interface MetricsSources {
  queues: readonly Queue[];
  /** Drift fixed by reconciliation so far, by kind (summed over every worker). */
  reconcileTotals: () => Promise<Record<string, number>>;
}

export interface Metrics {
  registry: Registry;
  observeRequest(labels: { method: string; route: string; status: number; outcome: string }, seconds: number): void;
  observeClaims(results: readonly CampaignResult[]): void;
}

/**
 * Prometheus metrics on a registry of the app's own (tests build many apps in one process). Queue depths
 * and reconciliation totals are read when scraped, through collect(): one gauge for every queue, because
 * concatenating BullMQ's per-queue exports would repeat HELP and TYPE lines, which is invalid text.
 */
export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'promotion_' });

  const requests = new Counter({
    name: 'promotion_http_requests_total',
    help: 'HTTP requests by route, status and outcome (errorCode, or ok).',
    labelNames: ['method', 'route', 'status', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'promotion_http_request_duration_seconds',
    help: 'HTTP request latency by route.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const claims = new Counter({
    name: 'promotion_claims_total',
    help: 'Campaign claims by outcome (won, already_won, full, paused, not_active, unavailable).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'promotion_queue_jobs',
    help: 'Jobs per queue and state, read from Redis when scraped.',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    aggregator: 'max', // every API process reads the same figures: not to be summed under node:cluster
    async collect() {
      this.reset();
      await Promise.all(
        sources.queues.map(async (queue) => {
          const counts = await queue.getJobCounts(...QUEUE_STATES);
          for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
        }),
      );
    },
  });
  new Counter({
    name: 'promotion_reconcile_fixed_total',
    help: 'Drift fixed by reconciliation, by kind, summed over every worker.',
    labelNames: ['kind'] as const,
    registers: [registry],
    aggregator: 'max',
    async collect() {
      this.reset();
      for (const [kind, total] of Object.entries(await sources.reconcileTotals())) this.inc({ kind }, total);
    },
  });

  return {
    registry,
    observeRequest: ({ method, route, status, outcome }, seconds) => {
      requests.inc({ method, route, status: String(status), outcome });
      duration.observe({ method, route }, seconds);
    },
    observeClaims: (results) => {
      for (const result of results) claims.inc({ outcome: result.outcome });
    },
  };
}
