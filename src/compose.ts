import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type Koa from 'koa';

import { AuthenticateUser } from './application/authenticate-user.use-case';
import { ClaimCampaignSlot } from './application/claim-campaign-slot';
import { IssueVoucher } from './application/issue-voucher.use-case';
import { LateParticipants } from './application/late-participants';
import { ListVouchers } from './application/list-vouchers.use-case';
import { LoginToCampaign } from './application/login-to-campaign.use-case';
import { ResetCampaign } from './application/reset-campaign.use-case';
import { SaveCampaign } from './application/save-campaign.use-case';
import { ScryptPasswordHasher } from './adapters/crypto/scrypt-password-hasher';
import { createHttpApp } from './adapters/http/app';
import { ensureIndexes } from './adapters/mongo/collections';
import { connectMongo, type MongoConnection } from './adapters/mongo/connection';
import { MongoCampaignStore } from './adapters/mongo/mongo-campaign-store';
import { MongoParticipationStore } from './adapters/mongo/mongo-participation-store';
import { MongoUserDirectory } from './adapters/mongo/mongo-user-directory';
import { MongoVoucherStore } from './adapters/mongo/mongo-voucher-store';
import { MongoWinnerStore } from './adapters/mongo/mongo-winner-store';
import { BullmqVoucherQueue } from './adapters/queue/bullmq-voucher-queue';
import { QUEUE_NAMES, type VoucherIssueJobData } from './adapters/queue/queue-names';
import { createApiRedis, waitForRedis } from './adapters/redis/connection';
import { RedisSlotCounter } from './adapters/redis/redis-slot-counter';
import type { Config } from './config';
import { systemClock, type Clock } from './ports/clock.port';
import type { Logger } from './ports/logger.port';

/** The database-backed stores, built once per connection. */
export function createStores(mongo: MongoConnection) {
  return {
    campaigns: new MongoCampaignStore(mongo.db),
    participations: new MongoParticipationStore(mongo.db),
    winners: new MongoWinnerStore(mongo.db),
    vouchers: new MongoVoucherStore(mongo.db),
    users: new MongoUserDirectory(mongo.db),
  };
}
export type Stores = ReturnType<typeof createStores>;

/**
 * Connects to the database and makes sure the indexes exist. Request paths keep the configured short
 * timeout; batch work (scripts, reconciliation, seeding) passes a longer one.
 */
export async function connectDatabase(
  config: Config,
  appName: string,
  operationTimeoutMs?: number,
  monitorCommands = false,
): Promise<MongoConnection> {
  const mongo = await connectMongo(config.mongo.url, {
    appName,
    monitorCommands,
    operationTimeoutMs: operationTimeoutMs ?? config.mongo.operationTimeoutMs,
    maxPoolSize: config.mongo.maxPoolSize,
  });
  await ensureIndexes(mongo.db);
  return mongo;
}

export function passwordHasher(config: Config): ScryptPasswordHasher {
  const { logN, r, p } = config.passwordHash;
  return new ScryptPasswordHasher({ logN, r, p });
}

export function saveCampaignUseCase(
  stores: Stores,
  redis: Redis,
  config: Config,
  logger: Logger,
  clock: Clock = systemClock,
) {
  return new SaveCampaign(
    stores.campaigns,
    stores.winners,
    new RedisSlotCounter(redis, config.redis.keyPrefix),
    clock,
    logger,
  );
}

export function resetCampaignUseCase(
  stores: Stores,
  redis: Redis,
  config: Config,
  logger: Logger,
  clock: Clock = systemClock,
) {
  const slots = new RedisSlotCounter(redis, config.redis.keyPrefix);
  return new ResetCampaign(
    stores.campaigns,
    stores.winners,
    stores.vouchers,
    stores.participations,
    slots,
    clock,
    logger,
  );
}

export function issueVoucherUseCase(stores: Stores, clock: Clock = systemClock): IssueVoucher {
  return new IssueVoucher(stores.winners, stores.campaigns, stores.vouchers, clock);
}

export interface Api {
  app: Koa;
  mongo: MongoConnection;
  stores: Stores;
  redis: Redis;
  /** Writes what is buffered and closes every connection. */
  close(): Promise<void>;
}

export interface ComposeOptions {
  clock?: Clock;
  /** Emit the driver's command events (tests use them to prove no query was made). */
  monitorMongoCommands?: boolean;
}

/** Wires the public API: adapters in, use cases over them, the Koa app on top. */
export async function composeApi(config: Config, logger: Logger, options: ComposeOptions = {}): Promise<Api> {
  const clock = options.clock ?? systemClock;
  const mongo = await connectDatabase(config, 'promotion-api', undefined, options.monitorMongoCommands);
  const redis = createApiRedis(config.redis.url, {
    connectionName: 'promotion-api',
    commandTimeoutMs: config.redis.commandTimeoutMs,
  });
  redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error'));
  await waitForRedis(redis);

  const stores = createStores(mongo);
  const queue = new Queue<VoucherIssueJobData>(QUEUE_NAMES.voucherIssue, {
    connection: redis,
    prefix: config.queue.prefix,
  });
  const lateParticipants = new LateParticipants(stores.participations, logger);
  const authenticate = new AuthenticateUser(stores.users, passwordHasher(config));
  const claimer = new ClaimCampaignSlot({
    slots: new RedisSlotCounter(redis, config.redis.keyPrefix),
    participations: stores.participations,
    winners: stores.winners,
    voucherQueue: new BullmqVoucherQueue(queue, { attempts: config.queue.attempts, backoffMs: config.queue.backoffMs }),
    lateParticipants,
    clock,
    logger,
    enqueueTimeoutMs: config.queue.enqueueTimeoutMs,
  });
  const app = createHttpApp({
    login: new LoginToCampaign(authenticate, stores.campaigns, claimer, clock),
    authenticate,
    listVouchers: new ListVouchers(stores.winners, stores.vouchers, stores.campaigns, clock),
    logger,
    bodyLimitBytes: config.http.bodyLimitBytes,
    retryAfterSeconds: config.http.retryAfterSeconds,
  });

  return {
    app,
    mongo,
    stores,
    redis,
    close: async () => {
      await lateParticipants.flush();
      await queue.close();
      redis.disconnect();
      await mongo.client.close();
    },
  };
}
