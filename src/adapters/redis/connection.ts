import { Redis } from 'ioredis';

export interface RedisConnectionOptions {
  /** Longest wait for one command's reply; past it the command fails (the API then answers 503). */
  commandTimeoutMs: number;
  connectionName: string;
}

/**
 * A connection for the request path: fail fast instead of queueing. With the offline queue off and a
 * command timeout, a dead or frozen Redis costs a request at most `commandTimeoutMs`, never a hang.
 */
export function createApiRedis(url: string, options: RedisConnectionOptions): Redis {
  return new Redis(url, {
    connectionName: options.connectionName,
    enableOfflineQueue: false,
    commandTimeout: options.commandTimeoutMs,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
  });
}

/**
 * A connection for BullMQ workers and queues: BullMQ requires maxRetriesPerRequest null, so its blocking
 * commands wait through a reconnect instead of failing.
 */
export function createQueueRedis(url: string, connectionName: string): Redis {
  return new Redis(url, {
    connectionName,
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
  });
}

/** Resolves once the connection is ready (or rejects after `timeoutMs`). */
export async function waitForRedis(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}
