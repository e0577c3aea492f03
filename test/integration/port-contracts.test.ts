import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import type { RedisClient } from '../../src/adapters/redis/scripts';

import { campaignKeys } from '../../src/adapters/redis/keys';
import { createApiRedis, waitForRedis } from '../../src/adapters/redis/connection';
import { RedisSlotCounter } from '../../src/adapters/redis/redis-slot-counter';
import type { MongoConnection } from '../../src/adapters/mongo/connection';
import { connectDatabase, createStores } from '../../src/compose';
import { slotCounterContract } from '../contract/slot-counter.contract';
import { storesContract } from '../contract/stores.contract';
import { campaignFixture } from '../support/fixtures';
import { testConfig } from '../support/test-env';

const config = testConfig();
let redis: RedisClient;
let mongo: MongoConnection;

beforeAll(async () => {
  redis = createApiRedis(config.redis, { connectionName: 'contract', commandTimeoutMs: 2_000 });
  await waitForRedis(redis);
  mongo = await connectDatabase(config, 'contract', { operationTimeoutMs: 10_000 });
});
afterAll(async () => {
  await mongo.db.dropDatabase();
  await mongo.client.close();
  redis.disconnect();
});

slotCounterContract('Redis adapter', () => ({
  counter: new RedisSlotCounter(redis, config.redis.keyPrefix),
  forget: async (campaignId) => {
    const keys = campaignKeys(config.redis.keyPrefix, campaignId);
    await redis.del(keys.meta, keys.counter, keys.slots);
  },
}));

storesContract('MongoDB adapters', () => createStores(mongo));

test('MongoCampaignStore: a change whose writer stopped halfway is rolled forward by the next writer', async () => {
  const stores = createStores(mongo);
  const first = campaignFixture('halfway', { version: 1 });
  expect(await stores.campaigns.save(first, null)).toBe('saved');
  // A writer recorded version 2 as the successor of 1, then died before writing the campaign document.
  const { id, ...rest } = { ...first, limit: 77, version: 2 };
  await mongo.db
    .collection(COLLECTIONS.campaignVersions)
    .insertOne({ campaignId: id, predecessor: 1, campaign: rest, at: new Date() });
  expect((await stores.campaigns.findById('halfway'))?.version).toBe(1);
  expect(await stores.campaigns.save({ ...first, limit: 5, version: 2 }, 1)).toBe('conflict');
  expect(await stores.campaigns.findById('halfway')).toMatchObject({ limit: 77, version: 2 });
  expect(await stores.campaigns.save({ ...first, limit: 5, version: 3 }, 2)).toBe('saved');
});
