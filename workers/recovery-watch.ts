import type { Queue } from 'bullmq';

import type { ReconcileJobData } from '../src/adapters/queue/queue-names';
import type { RedisEpoch } from '../src/adapters/redis/redis-epoch';
import type { RedisClient } from '../src/adapters/redis/scripts';
import type { Logger } from '../src/ports/logger.port';
import { installReconcileScheduler } from './reconcile.worker';

export interface RecoveryWatchOptions {
  epoch: RedisEpoch;
  queue: Queue<ReconcileJobData>;
  /** The connection whose reconnects trigger a check at once. */
  connection: RedisClient;
  /** How often to look (and to re-assert the schedule). */
  checkEveryMs: number;
  reconcileEveryMs: number;
  logger: Logger;
}

export interface RecoveryWatch {
  /** One check now (also what the timer runs); resolves when done. */
  check(): Promise<void>;
  stop(): void;
}

/**
 * Self-healing after Redis loses its data, with nobody's help: every `checkEveryMs`, and whenever the
 * connection comes back, the worker
 *   - re-asserts the reconcile schedule (an idempotent upsert: the schedule lives in this code, and Redis
 *     only holds a copy, which a FLUSHALL takes with it);
 *   - looks for the epoch key. Missing means the queued voucher jobs are gone too: it asks for a
 *     recovery reconciliation of every campaign with a winner still waiting for a voucher, ended ones
 *     included (deduplicated, so several workers make one run), then writes a new epoch.
 * The job is queued before the epoch is written: a worker dying in between leaves the epoch missing, and
 * the next check asks again.
 */
export function startRecoveryWatch(options: RecoveryWatchOptions): RecoveryWatch {
  const { epoch, queue, logger } = options;
  let running: Promise<void> | null = null;

  const checkOnce = async (): Promise<void> => {
    await installReconcileScheduler(queue, options.reconcileEveryMs);
    if (await epoch.intact()) return;
    logger.warn({}, 'Redis has no epoch: its data was lost (or this is its first use); recovering');
    await queue.add(
      'recover',
      { unfinished: true },
      {
        deduplication: { id: 'recover-after-redis-loss' },
        attempts: 5,
        backoff: { type: 'exponential', delay: 1_000 },
        removeOnComplete: { count: 100 },
        removeOnFail: { count: 100 },
      },
    );
    await epoch.mark();
  };

  /** One check at a time; a failed one is logged and the next tick tries again. */
  const check = (): Promise<void> => {
    running ??= checkOnce()
      .catch((error: unknown) => logger.warn({ err: error }, 'recovery check failed; trying again'))
      .finally(() => {
        running = null;
      });
    return running;
  };

  const timer = setInterval(() => void check(), options.checkEveryMs);
  const onReady = (): void => void check();
  options.connection.on('ready', onReady);
  return {
    check,
    stop: () => {
      clearInterval(timer);
      options.connection.off('ready', onReady);
    },
  };
}
