import { hostname } from 'node:os';
import { Writable } from 'node:stream';

import supertest from 'supertest';

import { RegisterUsers } from '../../src/application/register-users.use-case';
import { composeApi, type Api } from '../../src/compose/api';
import { passwordHasher, saveCampaignUseCase } from '../../src/compose/common';
import { DEV_ADMIN_PASSWORD, describeConfig, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startWorkers } from '../../workers/start-workers';
import { TEST_PASSWORD } from '../support/harness';
import { testConfig } from '../support/test-env';

/** The service's real logger, writing into memory, at the most talkative level. */
const lines: string[] = [];
const capture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  },
});
const TOKEN = 'bearer-token-that-must-never-be-logged-000';
const config = testConfig({ ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'trace' });
const logger = createLogger('trace', 'api', capture);
let api: Api;

beforeAll(async () => {
  api = await composeApi(config, logger);
  await new RegisterUsers(api.stores.users, passwordHasher(config)).execute([
    { account: 'user1', password: TEST_PASSWORD },
    { account: 'user2', password: TEST_PASSWORD },
  ]);
  await saveCampaignUseCase(api.stores, api.redis, config, logger).execute(
    'logged',
    { limit: 5, startsAt: new Date(Date.now() - 1_000) },
    { actor: 'test', mode: 'create' },
  );
});
afterAll(async () => {
  await api.mongo.db.dropDatabase();
  await api?.close();
});

test('passwords, tokens and credentials in URLs never reach the log; the events do', async () => {
  const http = supertest(api.listener);
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  await http.post('/api/login-campaign').send({ account: 'user1', password: TEST_PASSWORD, campaignId: 'logged' });
  await http.post('/api/login-campaign').send({ account: 'user1', password: 'wrong-password-xyz' });
  await http.post('/api/login-campaign').send({ account: { $ne: 'injected' }, password: 'body-secret-123' });
  await http.get('/api/vouchers').set('authorization', basic('user1', TEST_PASSWORD));
  await http.get('/admin/campaigns').set('authorization', basic('admin', DEV_ADMIN_PASSWORD));
  await http.get('/admin/campaigns').set('authorization', basic('admin', 'admin-guess-456'));
  await http.get(`/admin/campaigns?token=query-secret-789`).set('authorization', `Bearer ${TOKEN}`);
  const withCredentials = loadConfig({
    MONGO_URL: 'mongodb://promo:mongo-secret-1@db.internal:27017/promotion?tls=true',
    REDIS_URL: 'rediss://default:redis-secret-2@cache.internal:6380',
    ADMIN_TOKEN: TOKEN,
  });
  logger.info(describeConfig(withCredentials), 'api starting');

  const log = lines.join('\n');
  for (const secret of [
    TEST_PASSWORD,
    'wrong-password-xyz',
    'body-secret-123',
    DEV_ADMIN_PASSWORD,
    'admin-guess-456',
    TOKEN,
    'query-secret-789',
    'mongo-secret-1',
    'redis-secret-2',
    Buffer.from(`user1:${TEST_PASSWORD}`).toString('base64'),
    Buffer.from(`admin:${DEV_ADMIN_PASSWORD}`).toString('base64'),
  ]) {
    expect(log).not.toContain(secret);
  }

  const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(events).toContainEqual(
    expect.objectContaining({ msg: 'winner recorded', campaignId: 'logged', slot: 1, userId: expect.any(String) }),
  );
  expect(events).toContainEqual(
    expect.objectContaining({
      msg: 'request',
      route: '/api/login-campaign',
      status: 401,
      errorCode: 'INVALID_CREDENTIALS',
    }),
  );
  expect(events).toContainEqual(expect.objectContaining({ msg: 'request', route: '/admin/campaigns', status: 200 }));
  expect(events).toContainEqual(
    expect.objectContaining({
      msg: 'api starting',
      mongo: 'mongodb://promo:***@db.internal:27017/promotion?tls=true',
      redis: 'rediss://default:***@cache.internal:6380',
      adminToken: 'set',
    }),
  );
});

test('every line of a request and of the voucher job it caused carries its id, echoed back; pid and hostname on every line', async () => {
  const http = supertest(api.listener);
  const won = await http
    .post('/api/login-campaign')
    .set('x-request-id', 'edge-7f3a.42:retry-1')
    .send({ account: 'user2', password: TEST_PASSWORD, campaignId: 'logged' });
  expect(won.body.campaigns?.[0]?.outcome).toBe('won');
  expect(won.headers['x-request-id']).toBe('edge-7f3a.42:retry-1');
  // An id the service would not put in a log line as it is: replaced by a fresh one.
  const refused = await http.get('/health').set('x-request-id', 'x'.repeat(129));
  expect(refused.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  const fresh = await http.get('/health');
  expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  expect(fresh.headers['x-request-id']).not.toBe(refused.headers['x-request-id']);

  const workers = await startWorkers(config, logger);
  try {
    const deadline = Date.now() + 15_000;
    const issued = () =>
      lines.some((line) => line.includes('"voucher issued"') && line.includes('edge-7f3a.42:retry-1'));
    while (!issued() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  } finally {
    await workers.close();
  }

  const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const ofRequest = events.filter((event) => event.requestId === 'edge-7f3a.42:retry-1').map((event) => event.msg);
  expect(ofRequest).toEqual(expect.arrayContaining(['winner recorded', 'request', 'voucher issued']));
  for (const event of events) expect(event).toMatchObject({ pid: process.pid, hostname: hostname() });
});
