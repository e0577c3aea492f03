import { createServer } from 'node:http';

import { composeApi } from './compose';
import { describeConfig, loadConfig } from './config';
import { createLogger } from './logger';
import { retryUntilReady } from './startup';

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

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'api stopping: no new connections, finishing requests in flight');
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await api.close();
    logger.info({ signal }, 'api stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`api failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
