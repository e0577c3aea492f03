import type { Queue } from 'bullmq';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

import { withTimeout } from '../../application/support/dependency-call';
import { checkDependencies, type DependencyCheck } from './dependency-checks';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

/**
 * A registry of the process's own (tests build many apps in one process) with Node's standard metrics
 * under their standard names (process_cpu_seconds_total, nodejs_eventloop_lag_seconds, ...), so stock
 * Node.js dashboards work as they are.
 */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * `read` within `timeoutMs`, else (late or failed) undefined: a scrape never waits on a Redis that is gone,
 * so the rest of the page (promotion_dependency_up{dependency="redis"} 0 above all) is still served.
 */
const within = <T>(read: Promise<T>, timeoutMs: number): Promise<T | undefined> =>
  withTimeout(read, timeoutMs, 'queue metrics').catch(() => undefined);

/**
 * Queue depth by state and the age of the oldest job not yet run, read from Redis when scraped: one gauge
 * for every queue, because concatenating BullMQ's per-queue exports would repeat HELP and TYPE lines,
 * which is invalid text. Every process reads the same figures: not to be summed (aggregator max).
 * A queue Redis does not answer for within `timeoutMs` has no sample.
 */
export function registerQueueMetrics(registry: Registry, queues: readonly Queue[], timeoutMs: number): void {
  new Gauge({
    name: 'promotion_queue_jobs',
    help: 'Jobs per queue and state, read from Redis when scraped.',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    aggregator: 'max',
    async collect() {
      this.reset();
      await Promise.all(
        queues.map(async (queue) => {
          const counts = await within(queue.getJobCounts(...QUEUE_STATES), timeoutMs);
          if (counts === undefined) return;
          for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
        }),
      );
    },
  });
  new Gauge({
    name: 'promotion_queue_oldest_job_age_seconds',
    help: 'Age of the oldest job not yet done (waiting, prioritized, or delayed for a retry), 0 when none.',
    labelNames: ['queue'] as const,
    registers: [registry],
    aggregator: 'max',
    async collect() {
      this.reset();
      const now = Date.now();
      await Promise.all(
        queues.map(async (queue) => {
          // The first of each list in age order (a delayed job's order is its due time: a good proxy).
          const firsts = await within(
            Promise.all(
              (['waiting', 'prioritized', 'delayed'] as const).map((state) => queue.getJobs([state], 0, 0, true)),
            ),
            timeoutMs,
          );
          if (firsts === undefined) return;
          const created = firsts.flat().map((job) => job.timestamp);
          this.set({ queue: queue.name }, created.length === 0 ? 0 : (now - Math.min(...created)) / 1_000);
        }),
      );
    },
  });
}

/** 1 when the dependency answers within `timeoutMs` when scraped, else 0. */
export function registerDependencyMetrics(
  registry: Registry,
  checks: readonly DependencyCheck[],
  timeoutMs: number,
): void {
  new Gauge({
    name: 'promotion_dependency_up',
    help: 'Whether the dependency (redis, mongo) answered this process within the readiness timeout.',
    labelNames: ['dependency'] as const,
    registers: [registry],
    aggregator: 'min',
    async collect() {
      const { dependencies } = await checkDependencies(checks, timeoutMs);
      for (const [dependency, state] of Object.entries(dependencies)) this.set({ dependency }, state === 'up' ? 1 : 0);
    },
  });
}
