import type { Queue } from 'bullmq';
import { Counter, Histogram, type Registry } from 'prom-client';

import type { CampaignResult } from '../../domain/login-outcome';
import type { DependencyCheck } from '../ops/dependency-checks';
import { createRegistry, registerDependencyMetrics, registerQueueMetrics } from '../ops/standard-metrics';

export interface MetricsSources {
  queues: readonly Queue[];
  /** Redis and MongoDB, as /ready asks them. */
  checks: readonly DependencyCheck[];
  checkTimeoutMs: number;
}

export interface Metrics {
  registry: Registry;
  observeRequest(labels: { method: string; route: string; status: number; outcome: string }, seconds: number): void;
  observeClaims(results: readonly CampaignResult[]): void;
}

/**
 * The API's Prometheus metrics (every one is listed in the README's metrics table, and a test keeps it
 * so): Node's standard ones, requests, claims, queue depth and age, and whether Redis and MongoDB answer.
 */
export function createMetrics(sources: MetricsSources): Metrics {
  const registry = createRegistry();
  registerQueueMetrics(registry, sources.queues, sources.checkTimeoutMs);
  registerDependencyMetrics(registry, sources.checks, sources.checkTimeoutMs);

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
