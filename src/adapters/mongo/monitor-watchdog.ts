import type { MongoClient } from 'mongodb';

import type { Logger } from '../../ports/logger.port';

export interface WatchdogOptions {
  /** A server check that has not finished after this long is stuck. */
  stuckAfterMs: number;
  /** No server check at all for this long is stuck too (checks run every heartbeat, 10 s by default). */
  silentAfterMs: number;
  logger: Logger;
}

/**
 * Restarts a MongoClient whose server monitor has stopped. Our soak test found that, after the database
 * was restarted and then froze under load, the driver's monitor could begin a check that never finished;
 * the monitor then never checks again, the server stays "unknown", and every operation fails server
 * selection until the process restarts. This watchdog notices a check that outlives any timeout (or no
 * check at all) and closes and reconnects the same client: in-flight operations fail (the API answers 503
 * and the caller retries), the ones after it find a fresh topology. The same MongoClient object is kept,
 * so every store built on it carries on.
 */
export function watchMonitor(client: MongoClient, options: WatchdogOptions): void {
  let checkStartedAt: number | null = null;
  let lastEventAt = Date.now();
  let restarting = false;
  let stopped = false;
  const started = () => {
    checkStartedAt = Date.now();
    lastEventAt = checkStartedAt;
  };
  const finished = () => {
    checkStartedAt = null;
    lastEventAt = Date.now();
  };
  client.on('serverHeartbeatStarted', started);
  client.on('serverHeartbeatSucceeded', finished);
  client.on('serverHeartbeatFailed', finished);
  // A close we did not start is the application shutting down: the watchdog stops with it.
  client.on('topologyClosed', () => {
    if (!restarting) stopped = true;
  });

  const timer = setInterval(() => {
    if (stopped) {
      clearInterval(timer);
      return;
    }
    const now = Date.now();
    const stuck = checkStartedAt !== null && now - checkStartedAt > options.stuckAfterMs;
    const silent = now - lastEventAt > options.silentAfterMs;
    if (restarting || (!stuck && !silent)) return;
    restarting = true;
    options.logger.warn(
      { stuckForMs: checkStartedAt === null ? null : now - checkStartedAt, silentForMs: now - lastEventAt },
      'database monitor stopped: reconnecting the client',
    );
    client
      .close(true)
      .then(() => client.connect())
      .then(
        () => options.logger.info({}, 'database client reconnected'),
        (error: unknown) =>
          options.logger.warn({ err: error }, 'database client not reconnected yet; the next operation retries'),
      )
      .finally(() => {
        restarting = false;
        finished();
      });
  }, 1_000);
  timer.unref();
}
