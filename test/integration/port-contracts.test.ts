import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import type { RedisClient } from '../../src/adapters/redis/scripts';

import { campaignKeys } from '../../src/adapters/redis/keys';
import { createApiRedis, createQueueRedis, waitForRedis } from '../../src/adapters/redis/connection';
import { RedisSlotCounter } from '../../src/adapters/redis/redis-slot-counter';
import type { MongoConnection } from '../../src/adapters/mongo/connection';
import { connectDatabase, createStores, issueVoucherUseCase } from '../../src/compose/common';
import { settings, slotCounterContract } from '../contract/slot-counter.contract';
import { soldOutViewContract } from '../contract/sold-out-view.contract';
import { RedisSoldOutView } from '../../src/adapters/redis/redis-sold-out-view';
import { silentLogger } from '../../src/adapters/silent-logger';
import { RedisProcessRegistry } from '../../src/adapters/redis/redis-process-registry';
import { storesContract } from '../contract/stores.contract';
import { voucherQueueContract } from '../contract/voucher-queue.contract';
import { Queue, Worker } from 'bullmq';
import { BullmqVoucherQueue } from '../../src/adapters/queue/bullmq-voucher-queue';
import { QUEUE_NAMES, type VoucherIssueJobData } from '../../src/adapters/queue/queue-names';
import { MongoAuditLog } from '../../src/adapters/mongo/mongo-audit-log';
import { RedisLoginThrottle } from '../../src/adapters/redis/redis-login-throttle';
import { auditLogContract } from '../contract/audit-log.contract';
import { counterRepairContract } from '../contract/counter-repair.contract';
import { loginThrottleContract } from '../contract/login-throttle.contract';
import { reconcileTriggerContract } from '../contract/reconcile-trigger.contract';
import { bullmqReconcileSubject } from '../support/bullmq-reconcile-subject';
import { throttleSharingTest } from '../support/redis-throttle-sharing';
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

counterRepairContract('Redis adapter', () => ({ counter: new RedisSlotCounter(redis, config.redis.keyPrefix) }));

storesContract('MongoDB adapters', () => createStores(mongo));

auditLogContract('MongoDB adapter', () => new MongoAuditLog(mongo.db));

let throttles = 0;
loginThrottleContract('Redis adapter', (limits) => ({
  // A key prefix per throttle keeps each test's counts apart; a generous timeout keeps them in Redis (not
  // in the in-process fallback) on a busy machine.
  throttle: new RedisLoginThrottle(redis, `${config.redis.keyPrefix}-throttle-${++throttles}`, limits, () => 1, 2_000),
  pass: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}));

test('Redis throttle: a limit smaller than the processes is the shared count: never decided at once, nothing counted', async () => {
  const prefix = `${config.redis.keyPrefix}-throttle-${++throttles}`;
  const limits = {
    perIp: { points: 600, windowSeconds: 60 },
    perAccount: { points: 3, windowSeconds: 60 },
    failures: { allowed: 3, backoffSeconds: 60 },
    accountFailures: { allowed: 100 },
    knownAddressDays: 30,
  };
  // Five processes share 3 attempts per user: no process holds a share of one, so Redis decides.
  const throttle = new RedisLoginThrottle(redis, prefix, limits, () => 5, 2_000);
  for (let i = 0; i < 5; i += 1)
    expect(throttle.admitTokenAtOnce({ userId: 'u', clientIp: `198.51.100.${i}` })).toBe(false);
  for (let i = 0; i < 3; i += 1) await throttle.admitToken({ userId: 'u', clientIp: `198.51.100.${i}` });
  await expect(throttle.admitToken({ userId: 'u', clientIp: '198.51.100.9' })).rejects.toMatchObject({
    code: 'RATE_LIMITED',
  });
});

soldOutViewContract('Redis adapter', () => {
  const subscriber = createQueueRedis(config.redis, 'contract-changes');
  return {
    counter: new RedisSlotCounter(redis, config.redis.keyPrefix),
    view: new RedisSoldOutView(redis, subscriber, {
      keyPrefix: config.redis.keyPrefix,
      checkEveryMs: 200,
      maxHolders: 1_000,
      logger: silentLogger,
    }),
    settle: () => new Promise((resolve) => setTimeout(resolve, 50)),
  };
});

/** A Redis sold-out view that reads its views' versions again every 100 ms. */
function recheckingView(connectionName: string): RedisSoldOutView {
  return new RedisSoldOutView(redis, createQueueRedis(config.redis, connectionName), {
    keyPrefix: config.redis.keyPrefix,
    checkEveryMs: 100,
    maxHolders: 1_000,
    logger: silentLogger,
  });
}

/**
 * Claims for a and b (limit 1), telling the view of each "full" answer as every such login does, until it
 * answers sold out for b (2 s at most); returns whether it does.
 */
async function soldOutForB(view: RedisSoldOutView, counter: RedisSlotCounter, campaignId: string): Promise<boolean> {
  await counter.claim(campaignId, 'a');
  const deadline = Date.now() + 2_000;
  while (!view.soldOutFor(campaignId, 'b') && Date.now() < deadline) {
    const full = await counter.claim(campaignId, 'b');
    view.noteFull(campaignId, full.kind === 'full' ? (full.stateVersion ?? -1) : -1);
    await new Promise((r) => setTimeout(r, 10));
  }
  return view.soldOutFor(campaignId, 'b');
}

/** Deletes a campaign's keys as a FLUSHALL would: without a message. */
function loseCampaign(campaignId: string): Promise<number> {
  const keys = campaignKeys(config.redis.keyPrefix, campaignId);
  return redis.del(keys.meta, keys.counter, keys.slots, keys.state);
}

test('RedisSoldOutView: a change made without an announcement (a FLUSHALL of the keys) is caught by the recheck', async () => {
  const counter = new RedisSlotCounter(redis, config.redis.keyPrefix);
  const view = recheckingView('contract-recheck');
  try {
    await counter.publish('silent', settings(1), true);
    expect(await soldOutForB(view, counter, 'silent')).toBe(true);
    await loseCampaign('silent');
    await new Promise((r) => setTimeout(r, 300));
    expect(view.soldOutFor('silent', 'b')).toBe(false);
  } finally {
    await view.close();
  }
});

test('RedisSoldOutView: after Redis lost a campaign, its state versions start again lower, and the view learns it again', async () => {
  const counter = new RedisSlotCounter(redis, config.redis.keyPrefix);
  const view = recheckingView('contract-relearn');
  try {
    // A campaign changed ten times before it sold out: its state version is well above where it restarts.
    for (let version = 1; version <= 10; version += 1) await counter.publish('relearn', settings(1, { version }), true);
    expect(await soldOutForB(view, counter, 'relearn')).toBe(true);
    await loseCampaign('relearn');
    await new Promise((r) => setTimeout(r, 300));
    expect(view.soldOutFor('relearn', 'b')).toBe(false);
    // Rebuilt (as reconciliation publishes the database's settings) and sold out again, at lower versions.
    await counter.publish('relearn', settings(1, { version: 10 }), true);
    expect(await soldOutForB(view, counter, 'relearn')).toBe(true);
  } finally {
    await view.close();
  }
});

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

voucherQueueContract('BullMQ adapter', () => {
  const prefix = `${config.queue.prefix}-contract-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const queue = new Queue<VoucherIssueJobData>(QUEUE_NAMES.voucherIssue, { connection: redis, prefix });
  const workerRedis = createQueueRedis(config.redis, 'contract-worker');
  const worker = new Worker<VoucherIssueJobData>(QUEUE_NAMES.voucherIssue, null, { connection: workerRedis, prefix });
  const name = (data: VoucherIssueJobData) => `${data.campaignId}/${data.userId}`;
  return {
    queue: new BullmqVoucherQueue(queue, { attempts: 3, backoffMs: 1_000 }),
    work: async () => {
      const taken: string[] = [];
      for (;;) {
        const job = await worker.getNextJob('contract', { block: false });
        if (job === undefined) return taken.sort();
        await job.moveToCompleted('done', 'contract', false);
        taken.push(name(job.data));
      }
    },
    waiting: async () => (await queue.getJobs(['waiting'])).map((job) => name(job.data)).sort(),
    close: async () => {
      await worker.close();
      workerRedis.disconnect();
      await queue.obliterate({ force: true });
      await queue.close();
    },
  };
});

throttleSharingTest('one Redis', () => redis, `${config.redis.keyPrefix}-throttle-shared`);

reconcileTriggerContract('BullMQ adapter', () => {
  const prefix = `${config.queue.prefix}-reconcile-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const workerRedis = createQueueRedis(config.redis, 'contract-reconcile-worker');
  return bullmqReconcileSubject(redis, workerRedis, prefix, () => workerRedis.disconnect());
});

test('MongoDB stores: campaigns and winners stored before runs existed read as run 0, and deleteOfRun(0) finds them', async () => {
  const stores = createStores(mongo);
  const id = `before-runs-${Date.now()}`;
  const fields: Record<string, unknown> = { ...campaignFixture(id) };
  delete fields.id;
  delete fields.run;
  await mongo.db.collection<{ _id: string }>(COLLECTIONS.campaigns).insertOne({ _id: id, ...fields });
  expect(await stores.campaigns.findById(id)).toMatchObject({ id, run: 0 });
  const old = { campaignId: id, userId: 'old', slot: 1, voucherCode: 'c', createdAt: new Date() };
  await mongo.db.collection(COLLECTIONS.winners).insertOne({ ...old });
  expect(await stores.winners.find(id, 'old')).toEqual({ ...old, run: 0 });
  expect(await stores.winners.listByCampaign(id)).toEqual([{ ...old, run: 0 }]);
  expect(await stores.winners.deleteOfRun(id, 'old', 1)).toBe(false);
  expect(await stores.winners.deleteOfRun(id, 'old', 0)).toBe(true);
  expect(await stores.winners.count(id)).toBe(0);
});

test('process registry: Redis losing the set never makes a process count itself alone; a real departure is counted out within three heartbeats', async () => {
  const options = {
    keyPrefix: `${config.redis.keyPrefix}-registry-${Date.now()}`,
    heartbeatMs: 50,
    logger: silentLogger,
  };
  const a = new RedisProcessRegistry(redis, options);
  const b = new RedisProcessRegistry(redis, options);
  try {
    await Promise.all([a.start(), b.start()]);
    const until = async (done: () => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    };
    await until(() => a.processes() === 2 && b.processes() === 2, 1_000);
    expect([a.processes(), b.processes()]).toEqual([2, 2]);
    await redis.del(`${options.keyPrefix}:api-processes`); // what a FLUSHALL does to it
    const seen: number[] = [];
    for (let i = 0; i < 40; i += 1) {
      seen.push(a.processes(), b.processes());
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(Math.min(...seen)).toBe(2);
    await b.stop();
    await until(() => a.processes() === 1, 1_000);
    expect(a.processes()).toBe(1);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test('a voucher job, and the voucher read of a winner logging in again, look users up by equality, never by `$in` (which FerretDB 1.24 answers by filtering all the campaign’s records)', async () => {
  const watched = await connectDatabase(config, 'contract-watched', {
    operationTimeoutMs: 10_000,
    monitorCommands: true,
  });
  const filters: { collection: string; filter: unknown }[] = [];
  watched.client.on('commandStarted', (event) => {
    const { command } = event;
    if (event.commandName === 'find') filters.push({ collection: String(command.find), filter: command.filter });
  });
  try {
    const stores = createStores(watched);
    const campaignId = `equality-${Date.now()}`;
    await stores.campaigns.save(campaignFixture(campaignId), null);
    const won = { campaignId, slot: 1, voucherCode: 'code-eq', createdAt: new Date(), run: 0 };
    await Promise.all(['a', 'b', 'c'].map((userId, i) => stores.winners.record({ ...won, userId, slot: i + 1 })));
    const issue = issueVoucherUseCase(stores);
    expect(await Promise.all(['a', 'b', 'c'].map((userId) => issue.execute(campaignId, userId)))).toEqual([
      'created',
      'created',
      'created',
    ]);
    expect(await stores.vouchers.findForUsers(campaignId, ['b'])).toHaveLength(1);
    const lookups = filters.filter(
      ({ collection }) => collection === COLLECTIONS.winners || collection === COLLECTIONS.vouchers,
    );
    expect(lookups.length).toBeGreaterThanOrEqual(7); // two winner reads per job, and the voucher read
    for (const { filter } of lookups) expect(JSON.stringify(filter)).not.toContain('$in');
  } finally {
    await watched.client.close();
  }
});
