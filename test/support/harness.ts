import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Cluster } from 'ioredis';
import supertest from 'supertest';

import type { CampaignChanges } from '../../src/application/save-campaign.use-case';
import { RegisterUsers } from '../../src/application/register-users.use-case';
import { composeApi, type Api } from '../../src/compose/api';
import {
  connectDatabase,
  createStores,
  passwordHasher,
  saveCampaignUseCase,
  type Stores,
} from '../../src/compose/common';
import { SCRYPT_PROFILES, type Config } from '../../src/config';
import { ScryptPasswordHasher } from '../../src/adapters/crypto/scrypt-password-hasher';
import { createLogger } from '../../src/logger';
import { silentLogger } from '../../src/adapters/silent-logger';
import { startWorkers, type RunningWorkers, type StartWorkersOptions } from '../../workers/start-workers';
import { sendJson } from './http-client';
import { waitForVoucherQueueDrain } from './queue-drain';
import { testConfig } from './test-env';
import { metricsListener } from '../../src/adapters/ops/ops-listener';
import { createHttpServer, listen } from '../../src/adapters/http/server';

export const TEST_PASSWORD = 'correct horse battery staple';

export interface LoginBody {
  status: boolean;
  errorCode: string | null;
  errorMessage: string | null;
  userId?: string;
  campaigns?: {
    campaignId: string;
    outcome: string;
    slot?: number;
    errorCode?: string;
    voucher?: { code: string; discount: number; voucherType: string; description: string; expireDate: string };
  }[];
  details?: unknown;
}

export interface Harness {
  config: Config;
  api: Api;
  /** supertest against the listening server. */
  http: ReturnType<typeof supertest>;
  /** supertest against what the metrics port serves. */
  metricsHttp: ReturnType<typeof supertest>;
  /** Base URL of the listening server, for bursts of real concurrent requests. */
  baseUrl: string;
  /** POST /api/login-campaign over a keep-alive pool; resolves to the status and parsed body. */
  login(account: string, password?: string, campaignId?: string): Promise<{ status: number; body: LoginBody }>;
  /** Creates or changes a campaign through the real use case (active from now unless told otherwise). */
  saveCampaign(id: string, changes?: CampaignChanges): Promise<void>;
  /**
   * The stores on the set-up connection, with a batch-sized timeout as the scripts have: seed data through
   * these, not through `api.stores`, whose timeout is the service's (a test may lower it to seconds).
   */
  setupStores: Stores;
  /** Registers `<prefix>1..<prefix><count>` with TEST_PASSWORD; returns the accounts. */
  registerUsers(count: number, prefix?: string): Promise<string[]>;
  /**
   * Stores these accounts with TEST_PASSWORD under one hash at the production cost (SCRYPT_PROFILES.standard),
   * made once: hashing each would spend a derivation per account on set-up; their logins still verify the
   * password at that cost.
   */
  registerAtProductionCost(accounts: readonly string[]): Promise<void>;
  /** Starts the workers (voucher-issue, reconcile, scheduler) in this process, as `npm run worker` does. */
  startWorker(options?: StartWorkersOptions): Promise<RunningWorkers>;
  /** Waits until the voucher queue has nothing waiting, delayed or active. */
  drainQueue(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** The real API (composeApi, as `npm start` wires it) on its own database and key prefixes. */
export async function startHarness(overrides: Record<string, string> = {}): Promise<Harness> {
  const config = testConfig(overrides);
  // Silent unless TEST_LOG_LEVEL says otherwise (then the service's own log lines, for a post-mortem).
  const logger = config.logLevel === 'silent' ? silentLogger : createLogger(config.logLevel, 'harness');
  const api = await composeApi(config, logger, { monitorMongoCommands: true });
  const server = createHttpServer(api.listener, config.http);
  await listen(server, 0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const http = supertest(server);
  const metricsHttp = supertest(
    metricsListener(() => api.metrics.registry.metrics(), api.metrics.registry.contentType),
  );
  const workers: RunningWorkers[] = [];
  // Set-up work goes through its own connection with a batch-sized timeout, as the scripts do.
  const setupMongo = await connectDatabase(config, 'test-setup', { operationTimeoutMs: 30_000 });
  const setupStores = createStores(setupMongo);
  const saver = saveCampaignUseCase(setupStores, api.redis, config, silentLogger);
  const registrar = new RegisterUsers(setupStores.users, passwordHasher(config));

  const harness: Harness = {
    config,
    api,
    http,
    metricsHttp,
    baseUrl,
    setupStores,
    login: async (account, password = TEST_PASSWORD, campaignId) => {
      const payload = campaignId === undefined ? { account, password } : { account, password, campaignId };
      const { status, body } = await sendJson<LoginBody>('POST', `${baseUrl}/api/login-campaign`, payload);
      return { status, body };
    },
    saveCampaign: async (id, changes = {}) => {
      await saver.execute(
        id,
        { startsAt: new Date(Date.now() - 1_000), ...changes },
        { actor: 'test', mode: 'upsert' },
      );
    },
    registerUsers: async (count, prefix = 'user') => {
      const accounts = Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
      await registrar.execute(accounts.map((account) => ({ account, password: TEST_PASSWORD })));
      return accounts;
    },
    registerAtProductionCost: async (accounts) => {
      const hash = await new ScryptPasswordHasher(SCRYPT_PROFILES.standard).hash(TEST_PASSWORD);
      await setupStores.users.upsertMany(accounts.map((account) => ({ account, passwordHash: hash })));
    },
    startWorker: async (options = {}) => {
      const running = await startWorkers(config, silentLogger, options);
      workers.push(running);
      return running;
    },
    drainQueue: (timeoutMs = 30_000) => waitForVoucherQueueDrain(api.redis, config.queue.prefix, timeoutMs),
    close: async () => {
      for (const running of workers) await running.close();
      await closeServer(server);
      await removeTestData(api, config);
      await api.close();
      await setupMongo.client.close();
    },
  };
  return harness;
}

/** Drops the test's database and deletes its Redis keys, so shared or external servers stay clean. */
async function removeTestData(api: Api, config: Config): Promise<void> {
  await api.mongo.db.dropDatabase();
  // On a Redis Cluster every master holds some of the keys; keys are deleted one by one (no cross-slot DEL).
  const servers = api.redis instanceof Cluster ? api.redis.nodes('master') : [api.redis];
  for (const server of servers) {
    for (const pattern of [`${config.redis.keyPrefix}:*`, `${config.queue.prefix}:*`]) {
      for await (const keys of server.scanStream({ match: pattern, count: 1_000 }) as AsyncIterable<string[]>) {
        for (const key of keys) await server.unlink(key);
      }
    }
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
