import cluster from 'node:cluster';

import { AggregatorRegistry } from 'prom-client';

import { metricsListener } from './adapters/ops/ops-listener';
import { createHttpServer, listen } from './adapters/http/server';
import { composeApi } from './compose/api';
import { describeConfig, loadConfig } from './config';
import { createLogger, unredacted } from './logger';
import { exitOnFatalErrors, exitOnStartFailure, retryUntilReady, stopOnSignals } from './startup';

/** `npm start`: the public API, configured from the environment. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'api');
  exitOnFatalErrors('api', logger);
  logger.info(describeConfig(config), 'api starting');
  const api = await retryUntilReady(
    'api',
    () => composeApi(config, logger, { requestLogger: unredacted(logger) }),
    logger,
  );
  const server = createHttpServer(api.listener, config.http);
  await listen(server, config.http.port, config.http.host, config.http.listenBacklog);
  logger.info({ host: config.http.host, port: config.http.port }, 'api listening');

  // Metrics on their own port. Under node:cluster the primary serves them, summed over the processes.
  const { registry } = api.metrics;
  let metricsServer: ReturnType<typeof createHttpServer> | null = null;
  if (cluster.isWorker) {
    AggregatorRegistry.setRegistries([registry]);
    new AggregatorRegistry(); // answers the primary's requests for this process's metrics
  } else {
    metricsServer = createHttpServer(
      metricsListener(() => registry.metrics(), registry.contentType),
      config.http,
    );
    await listen(metricsServer, config.metrics.port, config.metrics.host);
    logger.info({ host: config.metrics.host, port: config.metrics.port }, 'metrics listening');
  }

  // Not ready, still accepting, for the grace period (load balancers stop sending); then no new
  // connections, requests in flight answered, and the connections to Redis and MongoDB closed.
  stopOnSignals('api', logger, async () => {
    api.beginShutdown();
    await new Promise((resolve) => setTimeout(resolve, config.http.shutdownGraceMs));
    metricsServer?.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await api.close();
  });
}

main().catch(exitOnStartFailure('api'));
