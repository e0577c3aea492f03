import { Cluster, Redis, type RedisOptions } from 'ioredis';

import type { RedisClient } from './scripts';

/** Where Redis is: one server (a redis:// or rediss:// URL), or a Redis Cluster (its seed nodes). */
export interface RedisTarget {
  url: string;
  /** host:port of some Cluster nodes; null for a single server. */
  clusterNodes: string[] | null;
}

export interface RedisConnectionOptions {
  /** Longest wait for one command's reply; past it the command fails (the API then answers 503). */
  commandTimeoutMs: number;
  connectionName: string;
}

function connect(target: RedisTarget, options: RedisOptions): RedisClient {
  if (target.clusterNodes === null) return new Redis(target.url, options);
  const nodes = target.clusterNodes.map((node) => {
    const [host = '127.0.0.1', port = '6379'] = node.split(':');
    return { host, port: Number(port) };
  });
  const { enableOfflineQueue, maxRetriesPerRequest, retryStrategy, ...perNode } = options;
  return new Cluster(nodes, {
    redisOptions: perNode,
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(maxRetriesPerRequest === undefined ? {} : { maxRetriesPerRequest }),
    ...(retryStrategy === undefined ? {} : { clusterRetryStrategy: retryStrategy }),
  });
}

/**
 * A connection for the request path: fail fast instead of queueing. With the offline queue off and a
 * command timeout, a dead or frozen Redis costs a request at most `commandTimeoutMs`, never a hang.
 * No auto-pipelining: ioredis holds each auto-pipeline until the one in flight has answered, and a
 * command's timeout only starts once it is sent, so behind a frozen Redis the claim waited out the
 * rate-limit calls' timeouts first (measured: 780 ms instead of 500 ms, the 503 past the 1 s budget).
 */
export function createApiRedis(target: RedisTarget, options: RedisConnectionOptions): RedisClient {
  return connect(target, {
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
export function createQueueRedis(target: RedisTarget, connectionName: string): RedisClient {
  return connect(target, {
    connectionName,
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
  });
}

/** Resolves once the connection is ready (or rejects after `timeoutMs`). */
export async function waitForRedis(redis: RedisClient, timeoutMs = 10_000): Promise<void> {
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
