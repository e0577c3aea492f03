import { MongoClient, type Db } from 'mongodb';

import type { Logger } from '../../ports/logger.port';
import { silentLogger } from '../silent-logger';
import { watchMonitor } from './monitor-watchdog';

export interface MongoConnectionOptions {
  /**
   * Client-side bound on each wait: finding a server, opening or getting a pooled connection, and each
   * socket read. Unlike maxTimeMS, which the server enforces, it also bounds a server that stopped
   * answering. (This driver's timeoutMS is deprecated and has no effect.) Retryable reads and writes stay
   * on, so a failed operation may take two of these.
   */
  operationTimeoutMs: number;
  /**
   * How long an operation waits for a reachable server (default: operationTimeoutMs). Batch connections
   * keep long reads but give up quickly on a database that is down, so a pass started during an outage
   * ends soon and the next one, after it, starts promptly.
   */
  serverSelectionTimeoutMs?: number;
  appName: string;
  maxPoolSize?: number;
  monitorCommands?: boolean;
  /** Where the watchdog that restarts a stopped server monitor reports. */
  logger?: Logger;
}

export interface MongoConnection {
  client: MongoClient;
  db: Db;
}

/** Connects and selects the database named in the URL's path (mongodb://host/<database>). */
export async function connectMongo(url: string, options: MongoConnectionOptions): Promise<MongoConnection> {
  const client = new MongoClient(url, {
    appName: options.appName,
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? options.operationTimeoutMs,
    waitQueueTimeoutMS: options.operationTimeoutMs,
    socketTimeoutMS: options.operationTimeoutMs,
    connectTimeoutMS: options.operationTimeoutMs,
    maxPoolSize: options.maxPoolSize ?? 50,
    monitorCommands: options.monitorCommands ?? false,
    // The streaming monitor (the default) never recovered once the server had been frozen and then
    // restarted: every operation then failed server selection until the process restarted (our soak test
    // found it). The polling monitor recovers within a heartbeat, so we poll.
    serverMonitoringMode: 'poll',
  });
  await client.connect();
  watchMonitor(client, {
    stuckAfterMs: Math.max(5 * options.operationTimeoutMs, 10_000),
    silentAfterMs: 35_000, // three heartbeats
    logger: options.logger ?? silentLogger,
  });
  return { client, db: client.db() };
}
