import { startRedisServer, type LocalService } from '../../scripts/lib/local-services';
import { campaignKeys } from '../../src/adapters/redis/keys';
import { startHarness, type Harness } from '../support/harness';
import { cleanEnv, runScript } from '../support/run-script';

/** Redis is flushed for real, so this file has a redis-server of its own. */
let redis: LocalService;
let h: Harness;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  redis = await startRedisServer();
  h = await startHarness({ REDIS_URL: redis.url, RECONCILE_GRACE_MS: '0' });
  await h.registerUsers(6);
  env = cleanEnv({
    MONGO_URL: h.config.mongo.url,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: h.config.redis.keyPrefix,
    QUEUE_PREFIX: h.config.queue.prefix,
    RECONCILE_GRACE_MS: '0',
  });
});
afterAll(async () => {
  await h?.close();
  await redis.remove();
});

test('after a FLUSHALL, --dry-run prints the drift and changes nothing; the real run fixes it', async () => {
  await h.saveCampaign('flushed', { limit: 10 });
  for (const account of ['user1', 'user2', 'user3', 'user4']) {
    expect((await h.login(account, undefined, 'flushed')).body.campaigns?.[0]?.outcome).toBe('won');
  }
  await h.api.redis.flushall();

  const closed = await h.login('user5', undefined, 'flushed');
  expect(closed.status).toBe(503); // fail closed: no counter, no claim
  expect(closed.body.errorCode).toBe('SERVICE_UNAVAILABLE');

  const dry = await runScript('scripts/reconcile.ts', ['--campaign', 'flushed', '--dry-run'], env);
  expect(dry.stderr).toBe('');
  expect(dry.code).toBe(0);
  expect(dry.stdout).toContain('campaign flushed: 4 winners; counter missing -> 4');
  expect(dry.stdout).toContain("would publish the database's settings (limit, paused, window, version)");
  expect(dry.stdout).toContain('would restore 4 forgotten winner slots');
  expect(dry.stdout).toContain('would re-deliver 4 voucher jobs');
  expect(dry.stdout).toContain('drift: found');
  expect(dry.stdout).toMatch(/plan:\n {4}settings: publish\n {4}restore: [^\n]+=1, [^\n]+=2, [^\n]+\n/);
  expect(dry.stdout).toContain('counter: raise to at least 4');
  expect(await h.api.redis.exists(campaignKeys(h.config.redis.keyPrefix, 'flushed').counter)).toBe(0);
  expect((await h.login('user5', undefined, 'flushed')).status).toBe(503);

  const real = await runScript('scripts/reconcile.ts', ['--campaign', 'flushed'], env);
  expect(real.code).toBe(0);
  expect(real.stdout).toContain('campaign flushed: 4 winners; counter missing -> 4');
  expect(real.stdout).toContain('drift: fixed');
  expect(await h.api.redis.get(campaignKeys(h.config.redis.keyPrefix, 'flushed').counter)).toBe('4');

  expect((await h.login('user5', undefined, 'flushed')).body.campaigns?.[0]).toMatchObject({ outcome: 'won', slot: 5 });
  expect((await h.login('user2', undefined, 'flushed')).body.campaigns?.[0]).toMatchObject({
    outcome: 'already_won',
    slot: 2,
  });

  await h.startWorker();
  await h.drainQueue();
  expect(await h.api.stores.vouchers.count('flushed')).toBe(5);

  const again = await runScript('scripts/reconcile.ts', [], env);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/campaign flushed: 5 winners; counter 5 -> 5\n {2}no drift/);
});

test('an unknown campaign is a failure with a non-zero exit', async () => {
  const missing = await runScript('scripts/reconcile.ts', ['--campaign', 'nope'], env);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/No campaign has this id/);
});
