import type { Logger as PinoLogger } from 'pino';

import { createLogger, logFatal } from './logger';
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

/**
 * Runs `stop` once on the first SIGTERM or SIGINT, logging before and after, then exits 0 (1 if stopping
 * failed). A second signal while stopping is ignored: the first one's work is what must finish.
 */
export function stopOnSignals(what: string, logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${what} stopping`);
    stop().then(
      () => {
        logger.info({ signal }, `${what} stopped`);
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error, signal }, `${what} did not stop cleanly`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * An error nobody handled (an exception thrown from a callback, a rejected promise nobody awaited) leaves
 * the process in an unknown state: one JSON line at level fatal, then exit 1, for the supervisor to restart
 * it.
 */
export function exitOnFatalErrors(what: string, logger: PinoLogger): void {
  process.on('uncaughtException', (error) => {
    logFatal(logger, error, `${what}: uncaught exception; exiting`);
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logFatal(logger, reason, `${what}: unhandled promise rejection; exiting`);
    process.exit(1);
  });
}

/** The last words of an entry point that could not start (its configuration included): JSON, exit 1. */
export function exitOnStartFailure(what: string): (error: unknown) => never {
  return (error) => {
    const logger = createLogger('info', what);
    logFatal(logger, error, `${what} failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  };
}
