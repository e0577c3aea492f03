import { startRedisCluster, type LocalRedisCluster } from '../../scripts/lib/local-services';
import { createApiRedis, createQueueRedis, waitForRedis, type RedisTarget } from '../../src/adapters/redis/connection';
import { campaignKeys } from '../../src/adapters/redis/keys';
import { RedisLoginThrottle } from '../../src/adapters/redis/redis-login-throttle';
import { RedisSlotCounter } from '../../src/adapters/redis/redis-slot-counter';
import type { RedisClient } from '../../src/adapters/redis/scripts';
import { counterRepairContract } from '../contract/counter-repair.contract';
import { loginThrottleContract } from '../contract/login-throttle.contract';
import { reconcileTriggerContract } from '../contract/reconcile-trigger.contract';
import { bullmqReconcileSubject } from '../support/bullmq-reconcile-subject';
import { throttleSharingTest } from '../support/redis-throttle-sharing';
import { slotCounterContract } from '../contract/slot-counter.contract';
import { startHarness, TEST_PASSWORD, type Harness } from '../support/harness';

/**
 * Past one Redis: a local 3-master Redis Cluster. The claim scripts run on it (their keys share a hash
 * tag per campaign), BullMQ runs on it (its prefix is one hash tag), and a whole burst comes out right.
 */
let cluster: LocalRedisCluster;
let target: RedisTarget;
let redis: RedisClient;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  target = { url: 'redis://unused', clusterNodes: cluster.nodes };
  redis = createApiRedis(target, { connectionName: 'cluster-test', commandTimeoutMs: 2_000 });
  await waitForRedis(redis);
}, 60_000);
afterAll(async () => {
  redis.disconnect();
  await cluster.remove();
});

slotCounterContract('Redis Cluster', () => ({
  counter: new RedisSlotCounter(redis, 'promo'),
  forget: async (campaignId) => {
    const keys = campaignKeys('promo', campaignId);
    await redis.del(keys.meta, keys.counter, keys.slots, keys.free);
  },
}));

counterRepairContract('Redis Cluster', () => ({ counter: new RedisSlotCounter(redis, 'promo') }));

let throttles = 0;
loginThrottleContract('Redis Cluster', (limits) => ({
  throttle: new RedisLoginThrottle(redis, `promo-throttle-${++throttles}`, limits, () => 1, 2_000),
  pass: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}));

throttleSharingTest('Redis Cluster', () => redis, 'promo-throttle-shared');

reconcileTriggerContract('BullMQ on Redis Cluster', () => {
  // One hash tag for the whole prefix: BullMQ's scripts touch several keys of a queue at once.
  const prefix = `{contract-reconcile-${Date.now()}-${Math.random().toString(36).slice(2)}}`;
  const queueRedis = createQueueRedis(target, 'cluster-reconcile-queue');
  const workerRedis = createQueueRedis(target, 'cluster-reconcile-worker');
  return bullmqReconcileSubject(queueRedis, workerRedis, prefix, () => {
    workerRedis.disconnect();
    queueRedis.disconnect();
  });
});

test('campaigns spread over the shards: each campaign keeps its keys on one slot', async () => {
  const slotsOf = async (campaignId: string) => {
    const keys = Object.values(campaignKeys('promo', campaignId));
    return new Set(await Promise.all(keys.map((key) => redis.call('CLUSTER', 'KEYSLOT', key))));
  };
  const perCampaign = await Promise.all(['spring', 'summer', 'autumn', 'winter'].map(slotsOf));
  expect(perCampaign.every((slots) => slots.size === 1)).toBe(true);
  expect(new Set(perCampaign.map((slots) => [...slots][0])).size).toBe(4);
});

describe('the whole service on the cluster', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ REDIS_CLUSTER_NODES: cluster.nodes.join(',') });
    await h.registerUsers(150);
    await h.startWorker();
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  test('a burst of 150 logins against limit 20: 20 winners, 20 vouchers, through BullMQ on the cluster', async () => {
    await h.saveCampaign('sharded', { limit: 20 });
    const replies = await Promise.all(
      Array.from({ length: 150 }, (_, i) => h.login(`user${i + 1}`, TEST_PASSWORD, 'sharded')),
    );
    expect(replies.filter((r) => r.status !== 200)).toEqual([]);
    expect(replies.filter((r) => r.body.campaigns?.[0]?.outcome === 'won')).toHaveLength(20);
    await h.drainQueue();
    expect(await h.api.stores.winners.count('sharded')).toBe(20);
    expect(await h.api.stores.vouchers.count('sharded')).toBe(20);
    expect((await h.api.queues.voucherIssue.getJobCounts('completed')).completed).toBe(20);
  });
});
