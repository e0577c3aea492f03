import cluster, { type Worker } from 'node:cluster';

import { AggregatorRegistry } from 'prom-client';

import { metricsListener } from './adapters/ops/ops-listener';
import { createHttpServer, listen } from './adapters/http/server';
import { loadConfig } from './config';
import { createLogger } from './logger';
import { exitOnFatalErrors, exitOnStartFailure, stopOnSignals } from './startup';

/**
 * `npm run start:cluster`: API_PROCESSES copies of the API behind one port, with node:cluster. The primary
 * accepts connections and hands them to the processes in turn (round robin on Linux), restarts one that
 * dies, and on SIGTERM passes it on and waits for every process to drain. Each process is the plain API
 * (src/main.ts): stateless, with its own connections, so more machines simply run more of these.
 */
async function primary(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'api-primary');
  exitOnFatalErrors('api cluster', logger);
  let stopping = false;
  const fork = (): Worker => cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    logger.error({ processPid: worker.process.pid, code, signal }, 'api process died; starting another');
    setTimeout(fork, 500);
  });
  for (let i = 0; i < config.http.processes; i += 1) fork();
  logger.info({ processes: config.http.processes, port: config.http.port }, 'api cluster started');
  const metrics = new AggregatorRegistry();
  const metricsServer = createHttpServer(
    metricsListener(() => metrics.clusterMetrics(), metrics.contentType),
    config.http,
  );
  await listen(metricsServer, config.metrics.port, config.metrics.host);
  logger.info({ host: config.metrics.host, port: config.metrics.port }, 'metrics of every api process listening');

  stopOnSignals('api cluster', logger, async () => {
    stopping = true;
    metricsServer.close();
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            worker.once('exit', () => resolve());
            worker.process.kill('SIGTERM');
          }),
      ),
    );
  });
}

if (cluster.isPrimary) {
  primary().catch(exitOnStartFailure('api cluster'));
} else {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the worker side is the plain API entry
  require('./main');
}
