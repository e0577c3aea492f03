import type { Logger } from './ports/logger.port';

/**
 * Retries a start-up step (connecting to Redis and MongoDB) until it succeeds, with a capped backoff:
 * a process that starts while a dependency restarts waits for it instead of exiting. Gives up after
 * `maxWaitMs` (default: never).
 */
export async function retryUntilReady<T>(
  what: string,
  step: () => Promise<T>,
  logger: Logger,
  maxWaitMs = Infinity,
): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step();
    } catch (error) {
      if (Date.now() - started >= maxWaitMs) throw error;
      const delayMs = Math.min(250 * 2 ** (attempt - 1), 5_000);
      logger.warn({ err: error, attempt, retryInMs: delayMs }, `${what} not ready; retrying`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
