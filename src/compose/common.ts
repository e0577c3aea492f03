import type { RedisClient } from '../adapters/redis/scripts';

import { IssueVoucher } from '../application/issue-voucher.use-case';
import { ReconcileCampaign } from '../application/reconcile-campaign.use-case';
import { ResetCampaign } from '../application/reset-campaign.use-case';
import { SaveCampaign } from '../application/save-campaign.use-case';
import { ScryptPasswordHasher } from '../adapters/crypto/scrypt-password-hasher';
import { ensureIndexes } from '../adapters/mongo/collections';
import { connectMongo, type MongoConnection } from '../adapters/mongo/connection';
import { SharedFreshCampaignReads } from '../adapters/memory/shared-fresh-campaign-reads';
import { sharedVoucherInserts } from '../adapters/memory/shared-voucher-inserts';
import { MongoAuditLog } from '../adapters/mongo/mongo-audit-log';
import { MongoCampaignStore } from '../adapters/mongo/mongo-campaign-store';
import { MongoParticipationStore } from '../adapters/mongo/mongo-participation-store';
import { MongoUserDirectory } from '../adapters/mongo/mongo-user-directory';
import { MongoVoucherStore } from '../adapters/mongo/mongo-voucher-store';
import { MongoWinnerStore } from '../adapters/mongo/mongo-winner-store';
import { BullmqVoucherQueue } from '../adapters/queue/bullmq-voucher-queue';
import type { Queues } from '../adapters/queue/queues';
import { RedisSlotCounter } from '../adapters/redis/redis-slot-counter';
import type { Config } from '../config';
import type { Clock } from '../ports/clock.port';
import { systemClock } from '../adapters/system-clock';
import type { Logger } from '../ports/logger.port';

/**
 * Wiring shared by the entry points (the API, the workers, the scripts): the stores over a database
 * connection, the slot counter over a Redis connection, and the use cases more than one entry needs.
 */
/** How long /ready (and the dependency metric) waits for Redis and MongoDB to answer a ping. */
export const READY_TIMEOUT_MS = 500;

/** How long batch connections (operators' statistics, reconciliation) wait for a database that is down. */
export const BATCH_SERVER_SELECTION_MS = 5_000;

/** The database-backed stores, built once per connection. */
export function createStores(mongo: MongoConnection) {
  return {
    campaigns: new MongoCampaignStore(mongo.db),
    participations: new MongoParticipationStore(mongo.db),
    winners: new MongoWinnerStore(mongo.db),
    vouchers: new MongoVoucherStore(mongo.db),
    users: new MongoUserDirectory(mongo.db),
    audit: new MongoAuditLog(mongo.db),
  };
}
export type Stores = ReturnType<typeof createStores>;

export interface DatabaseOptions {
  /** Defaults to MONGO_OPERATION_TIMEOUT_MS, the request-path budget; batch work passes a longer one. */
  operationTimeoutMs?: number;
  /** Defaults to the operation timeout; batch connections wait less for a server that is down. */
  serverSelectionTimeoutMs?: number;
  /** Defaults to MONGO_MAX_POOL_SIZE. */
  maxPoolSize?: number;
  monitorCommands?: boolean;
  logger?: Logger;
}

/** Connects to the database (its name comes from MONGO_URL's path) and makes sure the indexes exist. */
export async function connectDatabase(
  config: Config,
  appName: string,
  options: DatabaseOptions = {},
): Promise<MongoConnection> {
  const mongo = await connectMongo(config.mongo.url, {
    appName,
    monitorCommands: options.monitorCommands ?? false,
    operationTimeoutMs: options.operationTimeoutMs ?? config.mongo.operationTimeoutMs,
    ...(options.serverSelectionTimeoutMs === undefined
      ? {}
      : { serverSelectionTimeoutMs: options.serverSelectionTimeoutMs }),
    maxPoolSize: options.maxPoolSize ?? config.mongo.maxPoolSize,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  await ensureIndexes(mongo.db);
  return mongo;
}

export function passwordHasher(config: Config): ScryptPasswordHasher {
  const { logN, r, p } = config.passwordHash;
  return new ScryptPasswordHasher({ logN, r, p });
}

const counters = new WeakMap<RedisClient, Map<string, RedisSlotCounter>>();

/** The slot counter over a connection: one per connection and key prefix, however many use cases share it. */
export function slotCounterOn(redis: RedisClient, config: Config): RedisSlotCounter {
  const byPrefix = counters.get(redis) ?? new Map<string, RedisSlotCounter>();
  counters.set(redis, byPrefix);
  let counter = byPrefix.get(config.redis.keyPrefix);
  if (counter === undefined) {
    counter = new RedisSlotCounter(redis, config.redis.keyPrefix);
    byPrefix.set(config.redis.keyPrefix, counter);
  }
  return counter;
}

export function voucherQueue(queues: Queues, config: Config): BullmqVoucherQueue {
  return new BullmqVoucherQueue(queues.voucherIssue, {
    attempts: config.queue.attempts,
    backoffMs: config.queue.backoffMs,
  });
}

export function saveCampaignUseCase(
  stores: Stores,
  redis: RedisClient,
  config: Config,
  logger: Logger,
  clock: Clock = systemClock,
) {
  const slots = slotCounterOn(redis, config);
  return new SaveCampaign(stores.campaigns, stores.winners, stores.vouchers, slots, stores.audit, clock, logger);
}

export function resetCampaignUseCase(
  stores: Stores,
  redis: RedisClient,
  config: Config,
  logger: Logger,
  clock: Clock = systemClock,
) {
  const slots = slotCounterOn(redis, config);
  return new ResetCampaign(
    stores.campaigns,
    stores.winners,
    stores.vouchers,
    stores.participations,
    slots,
    stores.audit,
    clock,
    logger,
  );
}

export function reconcileUseCase(
  stores: Stores,
  redis: RedisClient,
  queues: Queues,
  config: Config,
  logger: Logger,
  clock: Clock = systemClock,
): ReconcileCampaign {
  const counter = slotCounterOn(redis, config);
  return new ReconcileCampaign({
    campaigns: stores.campaigns,
    winners: stores.winners,
    vouchers: stores.vouchers,
    participations: stores.participations,
    slots: counter,
    repair: counter,
    redelivery: voucherQueue(queues, config),
    clock,
    logger,
    graceMs: config.reconcile.graceMs,
  });
}

export function issueVoucherUseCase(stores: Stores, clock: Clock = systemClock): IssueVoucher {
  // Fresh campaign reads (the job's run checks need them) and the voucher inserts, shared by the jobs a
  // worker runs at once: a round trip per campaign for all of them, not one per job, while a burst keeps the
  // database busy.
  return new IssueVoucher(
    stores.winners,
    new SharedFreshCampaignReads(stores.campaigns),
    sharedVoucherInserts(stores.vouchers),
    clock,
  );
}
