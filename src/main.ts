import { createServer } from 'node:http';

import { composeApi } from './compose';
import { describeConfig, loadConfig } from './config';
import { createLogger } from './logger';
import { exitOnStartFailure, retryUntilReady, stopOnSignals } from './startup';

/** `npm start`: the public API, configured from the environment. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'api');
  logger.info(describeConfig(config), 'api starting');
  const api = await retryUntilReady('api', () => composeApi(config, logger), logger);
  const server = createServer(api.app.callback());
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(config.http.port, config.http.host, resolve));
  logger.info({ host: config.http.host, port: config.http.port }, 'api listening');

  // Not ready, still accepting, for the grace period (load balancers stop sending); then no new
  // connections, requests in flight answered, and the connections to Redis and MongoDB closed.
  stopOnSignals('api', logger, async () => {
    api.beginShutdown();
    await new Promise((resolve) => setTimeout(resolve, config.http.shutdownGraceMs));
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await api.close();
  });
}

main().catch(exitOnStartFailure('api'));
