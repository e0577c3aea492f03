import { createQueueRedis } from '../src/adapters/redis/connection';
import { RedisEpoch } from '../src/adapters/redis/redis-epoch';
import type { AddressInfo } from 'node:net';

import { checkDependencies, type DependencyCheck } from '../src/adapters/ops/dependency-checks';
import { opsListener } from '../src/adapters/ops/ops-listener';
import { createHttpServer, listen } from '../src/adapters/http/server';
import { createQueues } from '../src/adapters/queue/queues';
import {
  BATCH_SERVER_SELECTION_MS,
  connectDatabase,
  createStores,
  issueVoucherUseCase,
  READY_TIMEOUT_MS,
  reconcileUseCase,
} from '../src/compose/common';
import type { Config } from '../src/config';
import type { IssueVoucher } from '../src/application/issue-voucher.use-case';
import type { Logger } from '../src/ports/logger.port';
import { startRecoveryWatch } from './recovery-watch';
import { startReconcileWorker } from './reconcile.worker';
import { startVoucherIssueWorker } from './voucher-issue.worker';
import { createWorkerMetrics } from './worker-metrics';

export interface RunningWorkers {
  /** The port of the worker's listener (/health, /ready, /metrics). */
  port: number;
  /** Stops taking jobs, lets running ones finish, closes connections. Once: later calls wait for the first. */
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
    backoffMaxMs: config.queue.backoffMaxMs,
    lockDurationMs: config.queue.lockDurationMs,
    stalledIntervalMs: config.queue.stalledIntervalMs,
  });
  const reconcile = reconcileUseCase(createStores(batchMongo), commands, queues, config, logger);
  const checks: DependencyCheck[] = [
    { name: 'redis', ping: () => commands.ping() },
    { name: 'mongo', ping: () => jobsMongo.db.command({ ping: 1 }) },
  ];
  const metrics = createWorkerMetrics([queues.voucherIssue, queues.reconcile], checks, READY_TIMEOUT_MS);
  metrics.watch(voucherWorker);
  const reconcileWorker = startReconcileWorker(reconcile, queues.reconcile, logger, {
    connection: reconcileConnection,
    prefix: config.queue.prefix,
    intervalMs: config.reconcile.intervalMs,
    metrics,
  });
  metrics.watch(reconcileWorker);
  const recovery = startRecoveryWatch({
    epoch: new RedisEpoch(commands, config.redis.keyPrefix),
    queue: queues.reconcile,
    connection: commands,
    checkEveryMs: config.reconcile.watchIntervalMs,
    reconcileEveryMs: config.reconcile.intervalMs,
    logger,
  });
  await recovery.check();

  // Probes and metrics on a private port. Alive while the process runs; ready while both workers take
  // jobs and Redis and MongoDB answer (a worker that cannot reach them is stuck: it does no work).
  let closing = false;
  const json = (status: number, body: object) => ({
    status,
    contentType: 'application/json',
    body: JSON.stringify(body),
  });
  const server = createHttpServer(
    opsListener({
      '/health': async () => json(200, { status: true }),
      '/ready': async () => {
        const { ready, dependencies } = await checkDependencies(checks, READY_TIMEOUT_MS);
        const working = !closing && voucherWorker.isRunning() && reconcileWorker.isRunning();
        const workers = { voucherIssue: working ? 'running' : 'stopped', reconcile: working ? 'running' : 'stopped' };
        return ready && working
          ? json(200, { status: true, dependencies, workers })
          : json(503, { status: false, errorCode: 'SERVICE_UNAVAILABLE', dependencies, workers });
      },
      '/metrics': async () => ({
        status: 200,
        contentType: metrics.registry.contentType,
        body: await metrics.registry.metrics(),
      }),
    }),
    config.http,
  );
  await listen(server, config.worker.port, config.worker.host);
  const port = (server.address() as AddressInfo).port;
  logger.info(
    {
      concurrency: config.queue.workerConcurrency,
      prefix: config.queue.prefix,
      reconcileEveryMs: config.reconcile.intervalMs,
      recoveryCheckEveryMs: config.reconcile.watchIntervalMs,
      host: config.worker.host,
      port,
    },
    'workers started',
  );

  let closed: Promise<void> | undefined;
  return {
    port,
    close: () => (closed ??= closeAll()),
  };

  async function closeAll(): Promise<void> {
    closing = true;
    recovery.stop();
    // close() waits for the jobs in progress; unfinished ones stay in the queue for another worker.
    await Promise.all([voucherWorker.close(), reconcileWorker.close()]);
    await queues.close();
    for (const connection of [commands, voucherConnection, reconcileConnection]) connection.disconnect();
    await Promise.all([jobsMongo.client.close(), batchMongo.client.close()]);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
