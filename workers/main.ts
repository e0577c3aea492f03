import { describeConfig, loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { exitOnFatalErrors, exitOnStartFailure, retryUntilReady, stopOnSignals } from '../src/startup';
import { startWorkers } from './start-workers';

/** `npm run worker`: voucher-issue and reconcile workers, configured from the environment. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'worker');
  exitOnFatalErrors('workers', logger);
  logger.info(describeConfig(config), 'workers starting');
  const workers = await retryUntilReady('workers', () => startWorkers(config, logger), logger);
  // Jobs in progress finish; the others stay queued for the remaining workers.
  stopOnSignals('workers', logger, () => workers.close());
}

main().catch(exitOnStartFailure('workers'));
