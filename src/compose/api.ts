import type { RedisClient } from '../adapters/redis/scripts';
import type { RequestListener } from 'node:http';

import type Koa from 'koa';

import { AuthenticateUser } from '../application/authenticate-user.use-case';
import { GetCampaignStats } from '../application/campaign-stats.use-case';
import { ExportWinners } from '../application/export-winners.use-case';
import { RequestReconcile } from '../application/request-reconcile.use-case';
import { ClaimCampaignSlot } from '../application/claim-campaign-slot.use-case';
import { ConcurrencyGate } from '../application/support/concurrency-gate';
import { IdentifyUser } from '../application/identify-user.use-case';
import { withTimeout } from '../application/support/dependency-call';
import { LateParticipants } from '../application/support/late-participants';
import { ListVouchers } from '../application/list-vouchers.use-case';
import { LoginToCampaign } from '../application/login-to-campaign.use-case';
import { JoseTokenVerifier } from '../adapters/crypto/jose-token-verifier';
import { createHttpApp } from '../adapters/http/app';
import { withLoginFastLane } from '../adapters/http/login-fast-lane';
import { createMetrics, type Metrics } from '../adapters/http/metrics';
import { CachedCampaignStore } from '../adapters/memory/cached-campaign-store';
import { SharedFreshCampaignReads } from '../adapters/memory/shared-fresh-campaign-reads';
import { type MongoConnection } from '../adapters/mongo/connection';
import { BullmqReconcileTrigger } from '../adapters/queue/bullmq-reconcile-trigger';
import { createApiRedis, createQueueRedis, waitForRedis } from '../adapters/redis/connection';
import { RedisSoldOutView } from '../adapters/redis/redis-sold-out-view';
import { RedisLoginThrottle } from '../adapters/redis/redis-login-throttle';
import { RedisOperatorThrottle } from '../adapters/redis/redis-operator-throttle';
import { RedisProcessRegistry } from '../adapters/redis/redis-process-registry';
import type { DependencyCheck } from '../adapters/ops/dependency-checks';
import type { Config } from '../config';
import type { Clock } from '../ports/clock.port';
import { systemClock } from '../adapters/system-clock';
import type { Logger } from '../ports/logger.port';
import { noSoldOutView } from '../ports/sold-out-view.port';

import {
  BATCH_SERVER_SELECTION_MS,
  READY_TIMEOUT_MS,
  connectDatabase,
  createStores,
  passwordHasher,
  slotCounterOn,
  voucherQueue,
  saveCampaignUseCase,
  resetCampaignUseCase,
  type Stores,
} from './common';
import { createQueues, type Queues } from '../adapters/queue/queues';

/** At shutdown, how long the buffered participations may take to be written before the rest is given up. */
const LATE_PARTICIPANTS_SHUTDOWN_MS = 5_000;
/** At shutdown, how long closing the database connections may take. */
const DATABASE_CLOSE_MS = 2_000;

/** Wiring of the public API's process: its connections, adapters and use cases, and the Koa app on top. */
export interface Api {
  app: Koa;
  /** What the API's HTTP server serves: the token login's fast lane in front of the Koa app. */
  listener: RequestListener;
  /** What METRICS_PORT serves (the entry point decides where it listens). */
  metrics: Metrics;
  mongo: MongoConnection;
  stores: Stores;
  redis: RedisClient;
  queues: Queues;
  /** Marks the API as shutting down: /ready answers 503, connections close after their answer. */
  beginShutdown(): void;
  /** API processes alive (the attempt limits are split among them). */
  processes(): number;
  /** Writes the buffered participations of logins that won nothing now, rather than in their batch's time. */
  flushLateParticipants(): Promise<void>;
  /** Writes what is buffered and closes every connection. */
  close(): Promise<void>;
}

export interface ComposeOptions {
  clock?: Clock;
  /** Emit the driver's command events (tests use them to prove no query was made). */
  monitorMongoCommands?: boolean;
  /** Writes the one line per request; `logger` when not given (see logger.ts, unredacted). */
  requestLogger?: Logger;
}

/**
 * The login limits' Redis connection's own command timeout: a backstop only, far beyond any turn of the
 * event loop. Their 100 ms budget is kept by withTimeout, which reads a reply that arrived during a long
 * turn before deciding; ioredis's command timeout fires in such a turn before the reply is read (measured:
 * a 900-login burst on 3 processes sent 142 logins to the memory limits, and 169 wrong passwords were
 * checked against a cap of 100).
 */
const LIMITS_COMMAND_TIMEOUT_MS = 5_000;

/**
 * The API's connections: the request path's database pool and Redis connection (short time budgets), the
 * login limits' Redis connection, and a small, patient database pool for operators (statistics over whole
 * campaigns, exports). On failure, whatever was opened is closed again, so a start-up retry leaks nothing.
 */
async function connectApiDependencies(config: Config, logger: Logger, options: ComposeOptions) {
  const opened: (() => Promise<unknown>)[] = [];
  try {
    const mongo = await connectDatabase(config, 'promotion-api', {
      monitorCommands: options.monitorMongoCommands,
      logger,
    });
    opened.push(() => mongo.client.close());
    const adminMongo = await connectDatabase(config, 'promotion-admin', {
      operationTimeoutMs: Math.max(config.mongo.operationTimeoutMs, 30_000),
      serverSelectionTimeoutMs: BATCH_SERVER_SELECTION_MS,
      maxPoolSize: 5,
      logger,
    });
    opened.push(() => adminMongo.client.close());
    const redis = createApiRedis(config.redis, {
      connectionName: 'promotion-api',
      commandTimeoutMs: config.redis.commandTimeoutMs,
    });
    opened.push(async () => redis.disconnect());
    redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error'));
    const limitsRedis = createApiRedis(config.redis, {
      connectionName: 'promotion-api-limits',
      commandTimeoutMs: LIMITS_COMMAND_TIMEOUT_MS,
    });
    opened.push(async () => limitsRedis.disconnect());
    limitsRedis.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error (login limits)'));
    await Promise.all([waitForRedis(redis), waitForRedis(limitsRedis)]);
    return { mongo, adminMongo, redis, limitsRedis };
  } catch (error) {
    await Promise.allSettled(opened.map((close) => close()));
    throw error;
  }
}

/**
 * A connection for the API's background work (the process heartbeat, the sold-out view's reads, or, in
 * subscriber mode, its change messages): off the request path's fail-fast connection, reconnecting on
 * its own.
 */
function backgroundRedis(config: Config, logger: Logger, name: string): RedisClient {
  const connection = createQueueRedis(config.redis, name);
  connection.on('error', (error: Error) => logger.warn({ err: error, connection: name }, 'redis connection error'));
  return connection;
}

/** Wires the public API: adapters in, use cases over them, the Koa app on top. */
export async function composeApi(config: Config, logger: Logger, options: ComposeOptions = {}): Promise<Api> {
  const clock = options.clock ?? systemClock;
  const { mongo, adminMongo, redis, limitsRedis } = await connectApiDependencies(config, logger, options);
  const stores = createStores(mongo);
  const campaigns = new CachedCampaignStore(stores.campaigns, config.http.campaignCacheTtlMs);
  const adminStores = createStores(adminMongo);
  const queues = createQueues(redis, config, logger);
  const reconcileTrigger = new BullmqReconcileTrigger(queues.reconcile);
  // Off the request path, so on the patient pool: a 500-row insert on a busy database takes longer than a
  // request's budget, and timing it out only sends it again.
  const lateParticipants = new LateParticipants(adminStores.participations, logger);
  const background = backgroundRedis(config, logger, 'promotion-api-background');
  const registry = new RedisProcessRegistry(background, {
    keyPrefix: config.redis.keyPrefix,
    heartbeatMs: config.http.heartbeatMs,
    logger,
  });
  await registry.start();
  const throttle = new RedisLoginThrottle(limitsRedis, config.redis.keyPrefix, config.rateLimits, () =>
    registry.processes(),
  );
  const { maxConcurrent, maxWaiting, maxWaitMs } = config.passwordHash;
  const gates = {
    admission: new ConcurrencyGate({ maxRunning: maxConcurrent + maxWaiting, maxWaiting: 0, maxWaitMs: 0 }),
    hashing: new ConcurrencyGate({ maxRunning: maxConcurrent, maxWaiting, maxWaitMs }),
  };
  const authenticate = new AuthenticateUser(stores.users, passwordHasher(config), throttle, gates, logger);
  const identify = new IdentifyUser(authenticate, new JoseTokenVerifier(config.jwt), throttle);
  const soldOutView = config.http.soldOutView.enabled
    ? new RedisSoldOutView(background, backgroundRedis(config, logger, 'promotion-api-changes'), {
        keyPrefix: config.redis.keyPrefix,
        checkEveryMs: config.http.soldOutView.checkEveryMs,
        maxHolders: config.http.soldOutView.maxHolders,
        logger,
      })
    : noSoldOutView;
  const claimer = new ClaimCampaignSlot({
    slots: slotCounterOn(redis, config),
    // Fresh reads (the claim's checks need them), shared by the winners of a burst.
    campaigns: new SharedFreshCampaignReads(stores.campaigns),
    participations: stores.participations,
    winners: stores.winners,
    vouchers: stores.vouchers,
    voucherQueue: voucherQueue(queues, config),
    reconcileTrigger,
    lateParticipants,
    soldOutView,
    clock,
    logger,
    enqueueTimeoutMs: config.queue.enqueueTimeoutMs,
  });
  let shuttingDown = false;
  const dependencies: DependencyCheck[] = [
    { name: 'redis', ping: () => redis.ping() },
    { name: 'mongo', ping: () => mongo.db.command({ ping: 1 }) },
  ];
  const metrics = createMetrics({
    queues: [queues.voucherIssue, queues.reconcile],
    checks: dependencies,
    checkTimeoutMs: READY_TIMEOUT_MS,
  });
  const requestLogger = options.requestLogger ?? logger;
  const login = new LoginToCampaign(identify, campaigns, campaigns, claimer, clock, config.http.fanOutMax);
  const isShuttingDown = () => shuttingDown;
  const proxy = { trusted: config.http.trustProxy, hops: config.http.proxyHops };
  const app = createHttpApp({
    isShuttingDown,
    login,
    identify,
    listVouchers: new ListVouchers(stores.winners, stores.vouchers, campaigns, clock),
    admin: {
      credentials: config.admin,
      throttle: new RedisOperatorThrottle(redis, config.redis.keyPrefix, config.admin.failures),
      allowedOrigins: config.admin.allowedOrigins,
      queues: [queues.voucherIssue, queues.reconcile],
      boardReadOnly: config.admin.boardReadOnly,
      campaigns: adminStores.campaigns,
      saveCampaign: saveCampaignUseCase(adminStores, redis, config, logger, clock),
      resetCampaign: resetCampaignUseCase(adminStores, redis, config, logger, clock),
      stats: new GetCampaignStats(
        adminStores.campaigns,
        adminStores.participations,
        adminStores.winners,
        adminStores.vouchers,
        slotCounterOn(redis, config),
      ),
      exportWinners: new ExportWinners(
        adminStores.campaigns,
        adminStores.winners,
        adminStores.vouchers,
        adminStores.users,
        clock,
      ),
      audit: adminStores.audit,
      requestReconcile: new RequestReconcile(adminStores.campaigns, reconcileTrigger, adminStores.audit, clock),
      afterChange: () => campaigns.invalidate(),
    },
    metrics,
    checks: [
      ...dependencies,
      {
        // Counted in by every peer before a load balancer sends requests: the local limits rely on it.
        name: 'peers',
        ping: async () => {
          if (!registry.settled()) throw new Error('not yet counted in by the other API processes');
        },
      },
    ],
    logger,
    requestLogger,
    bodyLimitBytes: config.http.bodyLimitBytes,
    loginDeadlineMs: config.http.loginDeadlineMs,
    retryAfterSeconds: config.http.retryAfterSeconds,
    readyTimeoutMs: READY_TIMEOUT_MS,
    proxy,
  });
  const listener = withLoginFastLane(app.callback(), {
    login,
    proxy,
    metrics,
    logger,
    requestLogger,
    bodyLimitBytes: config.http.bodyLimitBytes,
    deadline: { ms: config.http.loginDeadlineMs, logger },
    retryAfterSeconds: config.http.retryAfterSeconds,
    isShuttingDown,
  });

  /** Once, however often it is asked for (a second SIGTERM, a test and its rig). */
  let closing: Promise<void> | undefined;
  return {
    app,
    listener,
    metrics,
    mongo,
    stores,
    redis,
    queues,
    beginShutdown: () => {
      shuttingDown = true;
    },
    processes: () => registry.processes(),
    flushLateParticipants: () => lateParticipants.flush(),
    close: () => (closing ??= closeAll()),
  };

  async function closeAll(): Promise<void> {
    claimer.close();
    await registry.stop();
    await soldOutView.close();
    background.disconnect();
    await lateParticipants.flush(LATE_PARTICIPANTS_SHUTDOWN_MS);
    await queues.close();
    redis.disconnect();
    limitsRedis.disconnect();
    // The driver ends its sessions on the server before it lets go: behind a frozen database that waits
    // out the socket timeout (30 s on the patient pool). The process is stopping; it does not wait.
    await Promise.all(
      [mongo.client.close(), adminMongo.client.close()].map((closed) =>
        withTimeout(closed, DATABASE_CLOSE_MS, 'database close').catch((error: unknown) =>
          logger.warn({ err: error }, 'database connections not closed cleanly'),
        ),
      ),
    );
  }
}
