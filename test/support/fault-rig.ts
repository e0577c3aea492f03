import { spawn, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Redis } from 'ioredis';
import type { Db } from 'mongodb';

import { hs256Token } from '../../scripts/lib/hs256-token';
import { PROJECT_ROOT, startFerretDb, startRedisServer, type LocalService } from '../../scripts/lib/local-services';

import { waitForRedis } from '../../src/adapters/redis/connection';
import { RegisterUsers } from '../../src/application/register-users.use-case';
import type { CampaignChanges } from '../../src/application/save-campaign.use-case';
import { composeApi, type Api } from '../../src/compose/api';
import { connectDatabase, createStores, passwordHasher, saveCampaignUseCase } from '../../src/compose/common';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { silentLogger } from '../../src/adapters/silent-logger';
import { startWorkers, type RunningWorkers, type StartWorkersOptions } from '../../workers/start-workers';
import { TEST_PASSWORD, type LoginBody } from './harness';
import { tsNodeArgs } from './run-script';
import { sendJson } from './http-client';
import { waitForVoucherQueueDrain } from './queue-drain';
import { uniqueTag } from './test-env';
import { createHttpServer, listen } from '../../src/adapters/http/server';

/**
 * A whole deployment of our own for fault injection: a redis-server and a FerretDB that this test may
 * kill, freeze and restart, the API listening on a port, workers in-process or as child processes, and
 * clients that behave like the app (retrying a 503 after a pause until the claim is decided).
 */

export interface Answer {
  account: string;
  status: number;
  body: LoginBody;
  /** When the request was sent (ms since the epoch), and how long its answer took. */
  at: number;
  ms: number;
  retryAfter?: string;
}

export interface FaultRig {
  redis: LocalService;
  ferret: LocalService;
  config: Config;
  api: Api;
  baseUrl: string;
  env: Record<string, string>;
  registerUsers(count: number, prefix?: string): Promise<string[]>;
  saveCampaign(id: string, changes?: CampaignChanges): Promise<void>;
  /** One login attempt. */
  login(account: string, campaignId: string): Promise<Answer>;
  /** Logs in until the claim is decided (anything but 503 / a connection error) or the deadline passes. */
  loginUntilDecided(account: string, campaignId: string, deadlineMs?: number): Promise<Answer[]>;
  /**
   * Reads from the database for assertions, through the set-up connection (long timeouts), retried a few
   * times: the first use of a connection pooled before a database restart fails.
   */
  read<T>(query: (db: Db) => Promise<T>): Promise<T>;
  /** The workers in this process (with `options`, e.g. a voucher use case a test holds at a moment). */
  startWorkers(options?: StartWorkersOptions): Promise<RunningWorkers>;
  /** `npm run worker` as a child process (to be killed for real). */
  spawnWorker(): ChildProcess;
  /** Waits until the voucher queue has nothing waiting, delayed or active. */
  drain(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * An account named `token:<user>` logs in with a bearer token for that user (HS256 over the rig's
 * JWT_SECRET): the token login's fast lane, where the others take the password path.
 */
export const TOKEN_ACCOUNT = 'token:';

/** Settings for fault tests: short grace and interval, quick stall detection, few and fast retries. */
export const FAULT_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  PASSWORD_HASH_PROFILE: 'test',
  RATE_LIMIT_PROFILE: 'relaxed',
  CAMPAIGN_CACHE_TTL_MS: '0',
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  REDIS_COMMAND_TIMEOUT_MS: '500',
  MONGO_OPERATION_TIMEOUT_MS: '3000',
  RECONCILE_GRACE_MS: '1000',
  RECONCILE_INTERVAL_MS: '1000',
  WORKER_WATCH_INTERVAL_MS: '500',
  API_HEARTBEAT_MS: '200',
  WORKER_LOCK_DURATION_MS: '2000',
  WORKER_STALLED_INTERVAL_MS: '1000',
  VOUCHER_JOB_ATTEMPTS: '4',
  VOUCHER_JOB_BACKOFF_MS: '50',
  // Private listeners on free ports: rigs run side by side.
  METRICS_PORT: '0',
  WORKER_PORT: '0',
};

/** The service's own defaults for everything FAULT_ENV shortens: for tests that promise "with default settings". */
export const DEFAULT_TIMING: Record<string, string> = {
  MONGO_OPERATION_TIMEOUT_MS: '400',
  RECONCILE_GRACE_MS: '30000',
  RECONCILE_INTERVAL_MS: '15000',
  WORKER_WATCH_INTERVAL_MS: '5000',
  WORKER_LOCK_DURATION_MS: '10000',
  WORKER_STALLED_INTERVAL_MS: '5000',
  VOUCHER_JOB_ATTEMPTS: '25',
  VOUCHER_JOB_BACKOFF_MS: '1000',
  VOUCHER_JOB_BACKOFF_MAX_MS: '5000',
  METRICS_PORT: '0',
  WORKER_PORT: '0',
};

export interface FaultRigOptions {
  /** Redis with an append-only file (fsync every second), as production runs it. */
  aof?: boolean;
  /** Settings for everything (API, workers, scripts). */
  env?: Record<string, string>;
  /** Settings for the API alone, on top of `env`. */
  apiEnv?: (env: Record<string, string>) => Record<string, string>;
  /** Runs against the fresh redis-server (as its default user) before anything connects. */
  prepareRedis?: (redisUrl: string) => Promise<void>;
  /** The API's database client emits command events (a test can act on the moment a command is sent). */
  monitorMongoCommands?: boolean;
}

export async function startFaultRig(options: FaultRigOptions = {}): Promise<FaultRig> {
  const redis = await startRedisServer({ appendOnly: options.aof === true });
  // A rig that fails to start leaves no server behind (its test never gets a rig to close).
  const ferret = await (async () => {
    await options.prepareRedis?.(redis.url);
    return startFerretDb({ database: `faults_${uniqueTag()}` });
  })().catch(async (error: unknown) => {
    await redis.remove();
    throw error;
  });
  const env: Record<string, string> = {
    ...FAULT_ENV,
    MONGO_URL: ferret.url,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: 'promo',
    QUEUE_PREFIX: '{promo-queue}',
    ...options.env,
  };
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel, 'fault-rig'); // silent unless TEST_LOG_LEVEL says otherwise
  // Set-up and inspection go through connections of their own, with long timeouts. This one connects first:
  // it creates the fresh database's collections and indexes, which on a loaded machine can take longer
  // than the short budgets some rigs give the API.
  const setupMongo = await connectDatabase(config, 'fault-setup', { operationTimeoutMs: 30_000 });
  const setupStores = createStores(setupMongo);
  const api = await composeApi(loadConfig({ ...env, ...options.apiEnv?.(env) }), logger, {
    monitorMongoCommands: options.monitorMongoCommands === true,
  });
  const server: Server = createHttpServer(api.listener, config.http);
  await listen(server, 0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // Unlike the API's, this connection waits through a Redis restart instead of failing fast.
  const setupRedis = new Redis(config.redis.url, {
    connectionName: 'fault-setup',
    maxRetriesPerRequest: 100,
    commandTimeout: 15_000,
    retryStrategy: () => 100,
  });
  setupRedis.on('error', () => {});
  await waitForRedis(setupRedis);
  const workers: RunningWorkers[] = [];
  const children: ChildProcess[] = [];

  const login = async (account: string, campaignId: string): Promise<Answer> => {
    const started = Date.now();
    try {
      const tokenUser = account.startsWith(TOKEN_ACCOUNT) ? account.slice(TOKEN_ACCOUNT.length) : null;
      const secret = config.jwt.key.kind === 'secret' ? config.jwt.key.secret : null;
      if (tokenUser !== null && secret === null) throw new Error('a token account needs JWT_SECRET in the rig');
      const { status, body, headers } =
        tokenUser === null || secret === null
          ? await sendJson<LoginBody>('POST', `${baseUrl}/api/login-campaign`, {
              account,
              password: TEST_PASSWORD,
              campaignId,
            })
          : await sendJson<LoginBody>(
              'POST',
              `${baseUrl}/api/login-campaign`,
              { campaignId },
              { authorization: `Bearer ${hs256Token(tokenUser, Math.floor(Date.now() / 1000) + 600, secret)}` },
            );
      const retryAfter = headers['retry-after'];
      return {
        account,
        status,
        body,
        at: started,
        ms: Date.now() - started,
        ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
      };
    } catch (error) {
      return {
        account,
        status: 0,
        body: { status: false, errorCode: String(error), errorMessage: null },
        at: started,
        ms: Date.now() - started,
      };
    }
  };

  return {
    redis,
    ferret,
    config,
    api,
    baseUrl,
    env,
    registerUsers: async (count, prefix = 'user') => {
      const accounts = Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
      await new RegisterUsers(setupStores.users, passwordHasher(config)).execute(
        accounts.map((account) => ({ account, password: TEST_PASSWORD })),
      );
      return accounts;
    },
    saveCampaign: async (id, changes = {}) => {
      await saveCampaignUseCase(setupStores, setupRedis, config, silentLogger).execute(
        id,
        {
          startsAt: new Date(Date.now() - 1_000),
          ...changes,
        },
        { actor: 'test', mode: 'upsert' },
      );
    },
    login,
    loginUntilDecided: async (account, campaignId, deadlineMs = 60_000) => {
      const answers: Answer[] = [];
      const deadline = Date.now() + deadlineMs;
      for (;;) {
        const answer = await login(account, campaignId);
        answers.push(answer);
        if ((answer.status !== 503 && answer.status !== 0) || Date.now() > deadline) return answers;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    },
    read: async (query) => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await query(setupMongo.db);
        } catch (error) {
          if (attempt >= 5) throw error;
          await new Promise((r) => setTimeout(r, 200 * attempt));
        }
      }
    },
    startWorkers: async (workerOptions) => {
      const running = await startWorkers(config, logger, workerOptions);
      workers.push(running);
      return running;
    },
    spawnWorker: () => {
      const child = spawn(process.execPath, tsNodeArgs('workers/main.ts'), {
        cwd: PROJECT_ROOT,
        env: { ...process.env, ...env } as NodeJS.ProcessEnv,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      // Drained, so a chatty worker never blocks on a full pipe; the tail is kept for a post-mortem.
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-4_000);
      });
      child.once('exit', (code, signal) => {
        if (code !== 0 && signal !== 'SIGKILL' && stderr !== '')
          console.warn(`worker exited (${code ?? signal}): ${stderr}`);
      });
      children.push(child);
      return child;
    },
    drain: (timeoutMs = 60_000) => waitForVoucherQueueDrain(setupRedis, config.queue.prefix, timeoutMs),
    close: async () => {
      redis.thaw();
      ferret.thaw();
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      for (const running of workers) await running.close().catch(() => {});
      await api.close().catch(() => {});
      setupRedis.disconnect();
      await setupMongo.client.close();
      await redis.remove();
      await ferret.remove();
    },
  };
}
