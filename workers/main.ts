import { createQueueRedis } from '../src/adapters/redis/connection';
import { connectDatabase, createStores, issueVoucherUseCase } from '../src/compose';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { startVoucherIssueWorker } from './voucher-issue.worker';

/** `npm run worker`: the voucher-issue worker, configured from the environment. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'worker');
  const mongo = await connectDatabase(config, 'promotion-worker');
  const connection = createQueueRedis(config.redis.url, 'promotion-worker');
  const worker = startVoucherIssueWorker(issueVoucherUseCase(createStores(mongo)), logger, {
    connection,
    prefix: config.queue.prefix,
    concurrency: config.queue.workerConcurrency,
  });
  logger.info({ concurrency: config.queue.workerConcurrency, prefix: config.queue.prefix }, 'worker started');

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'worker stopping: finishing jobs in progress');
    await worker.close(); // waits for running jobs; unfinished ones stay in the queue
    connection.disconnect();
    await mongo.client.close();
    logger.info({ signal }, 'worker stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
