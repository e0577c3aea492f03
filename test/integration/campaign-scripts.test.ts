import { MongoClient } from 'mongodb';
import { Redis } from 'ioredis';

import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { campaignKeys } from '../../src/adapters/redis/keys';
import { cleanEnv, runScript } from '../support/run-script';
import { testMongoUrl, testRedisUrl, uniqueTag } from '../support/test-env';

const tag = uniqueTag();
const env = cleanEnv({
  MONGO_URL: testMongoUrl(`seed_${tag}`),
  REDIS_URL: testRedisUrl(),
  REDIS_KEY_PREFIX: `s${tag}`,
  QUEUE_PREFIX: `{sq${tag}}`,
  PASSWORD_HASH_PROFILE: 'test',
});
const seeded = campaignKeys(env.REDIS_KEY_PREFIX as string, 'seeded');
let mongo: MongoClient;
let redis: Redis;

beforeAll(async () => {
  mongo = await new MongoClient(env.MONGO_URL as string).connect();
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await mongo.db().dropDatabase();
  await mongo?.close();
  redis.disconnect();
});

test('--help explains the options and exits 0; bad arguments exit 2 naming the problem', async () => {
  const help = await runScript('scripts/seed.ts', ['--help'], env);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/--campaign[\s\S]*--limit[\s\S]*--users[\s\S]*--password[\s\S]*--prefix/);

  const bad = await runScript('scripts/seed.ts', ['--campaign', 'a{b}', '--limit', 'zero'], env);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--campaign: [\s\S]*--limit: /);
});

test('creates the campaign and accounts with progress; a second run changes no user id and no counter', async () => {
  const first = await runScript(
    'scripts/seed.ts',
    ['--campaign', 'seeded', '--limit', '5', '--users', '30', '--prefix', 'shopper'],
    env,
  );
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  expect(first.stdout).toMatch(/accounts: 30\/30 \(100%\)/);
  expect(first.stdout).toMatch(/campaign seeded: created, limit 5, counter 0; accounts: 30 created, 0 updated/);

  const users = mongo.db().collection(COLLECTIONS.users);
  const before = await users
    .find({}, { projection: { _id: 1, account: 1 } })
    .sort({ account: 1 })
    .toArray();
  expect(before).toHaveLength(30);
  await redis.set(seeded.counter, '3'); // three slots handed out meanwhile

  const second = await runScript(
    'scripts/seed.ts',
    ['--campaign', 'seeded', '--limit', '8', '--users', '30', '--prefix', 'shopper'],
    env,
  );
  expect(second.code).toBe(0);
  expect(second.stdout).toMatch(/campaign seeded: updated, limit 8, counter 3; accounts: 0 created, 30 updated/);
  expect(
    await users
      .find({}, { projection: { _id: 1, account: 1 } })
      .sort({ account: 1 })
      .toArray(),
  ).toEqual(before);
  expect(await redis.get(seeded.counter)).toBe('3');

  const lowered = await runScript('scripts/seed.ts', ['--campaign', 'seeded', '--limit', '2'], env);
  expect(lowered.code).toBe(1);
  expect(lowered.stderr).toMatch(/limit cannot go below[\s\S]*limit 2, counter 3/);
  expect(await redis.hget(seeded.meta, 'limit')).toBe('8');
});

test('reset-campaign wants --yes, and refuses a running campaign', async () => {
  const unconfirmed = await runScript('scripts/reset-campaign.ts', ['--campaign', 'seeded'], env);
  expect(unconfirmed.code).toBe(2);
  expect(unconfirmed.stderr).toMatch(/without --yes/);

  const running = await runScript('scripts/reset-campaign.ts', ['--campaign', 'seeded', '--yes'], env);
  expect(running.code).toBe(1);
  expect(running.stderr).toMatch(/refused while the campaign is running/);
  expect(await redis.get(seeded.counter)).toBe('3');
});
