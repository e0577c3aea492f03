import type { RedisClient } from '../../src/adapters/redis/scripts';

import { campaignKeys } from '../../src/adapters/redis/keys';
import { createApiRedis, waitForRedis } from '../../src/adapters/redis/connection';
import { RedisSlotCounter } from '../../src/adapters/redis/redis-slot-counter';
import type { MongoConnection } from '../../src/adapters/mongo/connection';
import { connectDatabase, createStores } from '../../src/compose';
import { slotCounterContract } from '../contract/slot-counter.contract';
import { storesContract } from '../contract/stores.contract';
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

slotCounterContract('RedisClient adapter', () => ({
  counter: new RedisSlotCounter(redis, config.redis.keyPrefix),
  forget: async (campaignId) => {
    const keys = campaignKeys(config.redis.keyPrefix, campaignId);
    await redis.del(keys.meta, keys.counter, keys.slots);
  },
}));

storesContract('MongoDB adapters', () => createStores(mongo));
