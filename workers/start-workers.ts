import { createQueueRedis } from '../src/adapters/redis/connection';
import { RedisEpoch } from '../src/adapters/redis/redis-epoch';
import { RedisReconcileTally } from '../src/adapters/redis/redis-reconcile-tally';
import {
  BATCH_SERVER_SELECTION_MS,
  connectDatabase,
  createQueues,
  createStores,
  issueVoucherUseCase,
  reconcileUseCase,
} from '../src/compose';
import type { Config } from '../src/config';
import type { IssueVoucher } from '../src/application/issue-voucher.use-case';
import type { Logger } from '../src/ports/logger.port';
import { startRecoveryWatch } from './recovery-watch';
import { startReconcileWorker } from './reconcile.worker';
import { startVoucherIssueWorker } from './voucher-issue.worker';

export interface RunningWorkers {
  /** Stops taking jobs, lets running ones finish, closes connections. */
  close(): Promise<void>;
}

export interface StartWorkersOptions {
  /** Replaces the voucher use case (tests inject faults through it). */
  issueVoucher?: IssueVoucher;
}

/**
 * The voucher-issue worker, the reconcile worker and the reconcile scheduler, wired over their own
 * connections: blocking BullMQ connections (maxRetriesPerRequest null); for the database, the configured
 * short timeout for voucher jobs (a dead database fails a try quickly and the queue retries) and a
 * batch-sized one for reconciliation.
 */
export async function startWorkers(
  config: Config,
  logger: Logger,
  options: StartWorkersOptions = {},
): Promise<RunningWorkers> {
  const jobsMongo = await connectDatabase(config, 'promotion-worker', { logger });
  const batchMongo = await connectDatabase(config, 'promotion-reconcile', {
    operationTimeoutMs: Math.max(config.mongo.operationTimeoutMs, 30_000),
    serverSelectionTimeoutMs: BATCH_SERVER_SELECTION_MS,
    maxPoolSize: 5,
    logger,
  }).catch(async (error: unknown) => {
    await jobsMongo.client.close();
    throw error;
  });
  const stores = createStores(jobsMongo);
  const commands = createQueueRedis(config.redis, 'promotion-worker-commands');
  const voucherConnection = createQueueRedis(config.redis, 'promotion-worker-vouchers');
  const reconcileConnection = createQueueRedis(config.redis, 'promotion-worker-reconcile');
  for (const connection of [commands, voucherConnection, reconcileConnection]) {
    connection.on('error', (error: Error) => logger.warn({ err: error }, 'worker redis connection error'));
  }
  const queues = createQueues(commands, config, logger);

  const voucherWorker = startVoucherIssueWorker(options.issueVoucher ?? issueVoucherUseCase(stores), logger, {
    connection: voucherConnection,
    prefix: config.queue.prefix,
    concurrency: config.queue.workerConcurrency,
    lockDurationMs: config.queue.lockDurationMs,
    stalledIntervalMs: config.queue.stalledIntervalMs,
  });
  const reconcile = reconcileUseCase(createStores(batchMongo), commands, queues, config, logger);
  const reconcileWorker = startReconcileWorker(reconcile, queues.reconcile, logger, {
    connection: reconcileConnection,
    prefix: config.queue.prefix,
    intervalMs: config.reconcile.intervalMs,
    tally: new RedisReconcileTally(commands, config.redis.keyPrefix),
  });
  const recovery = startRecoveryWatch({
    epoch: new RedisEpoch(commands, config.redis.keyPrefix),
    queue: queues.reconcile,
    connection: commands,
    checkEveryMs: config.reconcile.watchIntervalMs,
    reconcileEveryMs: config.reconcile.intervalMs,
    logger,
  });
  await recovery.check();
  logger.info(
    {
      concurrency: config.queue.workerConcurrency,
      prefix: config.queue.prefix,
      reconcileEveryMs: config.reconcile.intervalMs,
      recoveryCheckEveryMs: config.reconcile.watchIntervalMs,
    },
    'workers started',
  );

  return {
    close: async () => {
      recovery.stop();
      // close() waits for the jobs in progress; unfinished ones stay in the queue for another worker.
      await Promise.all([voucherWorker.close(), reconcileWorker.close()]);
      await queues.close();
      for (const connection of [commands, voucherConnection, reconcileConnection]) connection.disconnect();
      await Promise.all([jobsMongo.client.close(), batchMongo.client.close()]);
    },
  };
}
