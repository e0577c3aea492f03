import { describeConfig, loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { retryUntilReady } from '../src/startup';
import { startWorkers } from './start-workers';

/** `npm run worker`: voucher-issue and reconcile workers, configured from the environment. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'worker');
  logger.info(describeConfig(config), 'workers starting');
  const workers = await retryUntilReady('workers', () => startWorkers(config, logger), logger);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'workers stopping: finishing jobs in progress');
    await workers.close();
    logger.info({ signal }, 'workers stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`workers failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
