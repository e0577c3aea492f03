import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { campaignKeys } from '../../src/adapters/redis/keys';
import { RedisSlotCounter } from '../../src/adapters/redis/redis-slot-counter';
import { ReconcileCampaign } from '../../src/application/reconcile-campaign.use-case';
import { SaveCampaign } from '../../src/application/save-campaign.use-case';
import { createQueues } from '../../src/adapters/queue/queues';
import { voucherQueue } from '../../src/compose/common';
import { DEV_ADMIN_PASSWORD } from '../../src/config';
import { silentLogger } from '../../src/adapters/silent-logger';
import { systemClock } from '../../src/adapters/system-clock';
import { startHarness, TEST_PASSWORD, type Harness } from '../support/harness';

/**
 * Two ways operators and reconciliation used to undo each other, against the real adapters (Redis and
 * FerretDB): a limit lowered below the highest slot after Redis lost a campaign's keys, and a pause that
 * lands while a reconciliation pass is running.
 */
let h: Harness;
const operator = `Basic ${Buffer.from(`admin:${DEV_ADMIN_PASSWORD}`).toString('base64')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  h = await startHarness({
    RECONCILE_INTERVAL_MS: '1000',
    RECONCILE_GRACE_MS: '1000',
    WORKER_WATCH_INTERVAL_MS: '500',
  });
  await h.registerUsers(20);
});
afterAll(async () => {
  await h?.close();
});

const winners = (campaignId: string) => h.api.mongo.db.collection(COLLECTIONS.winners).find({ campaignId }).toArray();
const userId = async (account: string) => (await h.api.stores.users.findByAccount(account))?.userId as string;

test('two saves that read the same version: the second to publish is refused, the counter keeps what the database holds, and the campaign can still be paused', async () => {
  await h.saveCampaign('twosaves', { limit: 2 });
  const base = new RedisSlotCounter(h.api.redis, h.config.redis.keyPrefix);
  const { campaigns, winners: winnerStore, vouchers, audit } = h.api.stores;
  // Both read version 1 before either publishes; the pause (B) publishes first, the raise to 8 (A) next;
  // A's store waits until logins have run under whatever the counter then holds.
  let inspected = 0;
  let bothRead!: () => void;
  const bothHaveRead = new Promise<void>((r) => (bothRead = r));
  let bPublished!: () => void;
  const bHasPublished = new Promise<void>((r) => (bPublished = r));
  let releaseStoreA!: () => void;
  const storeA = new Promise<void>((r) => (releaseStoreA = r));
  const slots: RedisSlotCounter = Object.assign(Object.create(base) as RedisSlotCounter, {
    inspect: async (id: string) => {
      const seen = await base.inspect(id);
      if (++inspected === 2) bothRead();
      return seen;
    },
    publish: async (...args: Parameters<RedisSlotCounter['publish']>) => {
      await bothHaveRead;
      if (args[1].limit === 8) await bHasPublished;
      const published = await base.publish(...args);
      if (args[1].limit !== 8) bPublished();
      return published;
    },
  });
  const gatedCampaigns = Object.assign(Object.create(campaigns) as typeof campaigns, {
    save: async (...args: Parameters<typeof campaigns.save>) => {
      if (args[0].limit === 8) await storeA;
      return campaigns.save(...args);
    },
  });
  const save = new SaveCampaign(gatedCampaigns, winnerStore, vouchers, slots, audit, systemClock, silentLogger);
  const options = { actor: 'test', mode: 'update' } as const;
  const a = save.execute('twosaves', { limit: 8 }, options).then(
    () => 'saved',
    (error: { code?: string }) => error.code,
  );
  const b = save.execute('twosaves', { name: 'renamed' }, options).then(
    () => 'saved',
    (error: { code?: string }) => error.code,
  );
  expect(await b).toBe('saved');
  const answers = [];
  for (let i = 1; i <= 6; i++) answers.push((await h.login(`user${i}`, TEST_PASSWORD, 'twosaves')).body);
  releaseStoreA();
  expect(await a).toBe('CAMPAIGN_CHANGED');

  const stored = await campaigns.findById('twosaves');
  expect({ limit: stored?.limit, name: stored?.name }).toEqual({ limit: 2, name: 'renamed' });
  expect(await base.inspect('twosaves')).toMatchObject({ limit: 2, version: stored?.version });
  expect(answers.filter((body) => body.campaigns?.[0]?.outcome === 'won')).toHaveLength(2);
  const paused = await h.http
    .post('/admin/campaigns/twosaves/pause')
    .set('authorization', operator)
    .set('content-type', 'application/json');
  expect(paused.body).toMatchObject({ status: true });
  expect((await winners('twosaves')).map((w) => w.slot).sort()).toEqual([1, 2]);
});

test('claims Redis ran under settings older than a pause are never recorded: not by the resume, not by reconciliation', async () => {
  await h.saveCampaign('stalepause', { limit: 10 });
  const keys = campaignKeys(h.config.redis.keyPrefix, 'stalepause');
  const image = await h.api.redis.dumpBuffer(keys.meta); // version 1, running
  const paused = await h.http
    .post('/admin/campaigns/stalepause/pause')
    .set('authorization', operator)
    .set('content-type', 'application/json');
  expect(paused.body).toMatchObject({ status: true });
  // Redis comes back from an older image, and claims run under it that no API process ever answers (their
  // clients gave up while Redis was frozen; Redis ran them afterwards).
  await h.api.redis.restore(keys.meta, 0, image as Buffer, 'REPLACE');
  const counter = new RedisSlotCounter(h.api.redis, h.config.redis.keyPrefix);
  const late = await Promise.all(
    ['user1', 'user2', 'user3'].map(async (a) => counter.claim('stalepause', await userId(a))),
  );
  expect(late.map((claim) => claim.kind)).toEqual(['won', 'won', 'won']);

  const resumed = await h.http
    .post('/admin/campaigns/stalepause/resume')
    .set('authorization', operator)
    .set('content-type', 'application/json');
  expect(resumed.body).toMatchObject({ status: true });
  // Reconciliation passes well past its grace period (1 s here) find nothing to complete.
  const workers = await h.startWorker();
  try {
    await sleep(4_000);
    expect(await winners('stalepause')).toEqual([]);
    // The slots they took come back: the campaign fills to exactly its limit with logins after the resume.
    const answers = [];
    for (let i = 4; i <= 16; i++) answers.push((await h.login(`user${i}`, TEST_PASSWORD, 'stalepause')).body);
    const slots = (await winners('stalepause')).map((w) => w.slot as number).sort((a, b) => a - b);
    expect(slots).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  } finally {
    await workers.close();
  }
});

test('after Redis rolls back to older settings and claims run on under them, the operator can still end the campaign, and the workers re-publish the newer settings', async () => {
  // No worker runs yet: nothing repairs Redis behind the test's back until it starts one.
  await h.saveCampaign('rollback', { limit: 8 });
  for (const account of ['user1', 'user2', 'user3']) await h.login(account, TEST_PASSWORD, 'rollback'); // slots 1-3
  const keys = campaignKeys(h.config.redis.keyPrefix, 'rollback');
  const image = await h.api.redis.dumpBuffer(keys.meta); // version 1, limit 8
  const lowered = await h.http.patch('/admin/campaigns/rollback').set('authorization', operator).send({ limit: 5 });
  expect(lowered.status).toBe(200);
  // Redis comes back from an older image (an AOF or replica behind the database): version 1, limit 8.
  await h.api.redis.restore(keys.meta, 0, image as Buffer, 'REPLACE');
  const answers = [];
  for (let i = 4; i <= 12; i++) answers.push((await h.login(`user${i}`, TEST_PASSWORD, 'rollback')).body);
  // Redis hands out slots under the old limit; only 4 and 5 can become winners (the write checks the
  // database's limit). A slot above it is refused (503, retryable) and freed for the next claim, which the
  // database refuses the same way, until the database's settings are published (below).
  expect(Number(await h.api.redis.get(keys.counter))).toBeGreaterThanOrEqual(6);
  const won = answers.flatMap((b) => (b.campaigns?.[0]?.outcome === 'won' ? [b.campaigns[0].slot] : []));
  expect(won).toEqual([4, 5]);
  expect(answers.slice(2).map((b) => b.campaigns?.[0]?.outcome)).toEqual(Array(7).fill('unavailable'));
  expect((await winners('rollback')).map((w) => w.slot).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);

  // The counter (8) is above the limit in force (5): any change used to be refused for it. Not so: the
  // slots above 5 were handed out under settings no longer in force and can never be recorded.
  const ended = await h.http
    .patch('/admin/campaigns/rollback')
    .set('authorization', operator)
    .send({ endsAt: new Date(Date.now() - 1_000).toISOString() });
  expect(ended.body).toMatchObject({ status: true });
  expect(await h.api.redis.get(keys.counter)).toBe('5');
  expect(await h.api.redis.hget(keys.meta, 'version')).toBe('3');

  // Rolled back again, nobody acting: the workers' schedule publishes the database's settings by itself.
  await h.api.redis.restore(keys.meta, 0, image as Buffer, 'REPLACE');
  await h.api.redis.set(keys.counter, 8);
  await h.startWorker();
  const started = Date.now();
  while ((await h.api.redis.hget(keys.meta, 'version')) !== '3' && Date.now() - started < 20_000) await sleep(50);
  expect(await h.api.redis.hget(keys.meta, 'version')).toBe('3');
  expect(await h.api.redis.get(keys.counter)).toBe('5');
  process.stderr.write(`FIGURE rollback: settings re-published ${Date.now() - started} ms after the workers started\n`);
});

test('a limit can never fall below the highest slot, even after Redis lost the campaign; winners stay within it', async () => {
  await h.saveCampaign('floor', { limit: 10 });
  const counter = new RedisSlotCounter(h.api.redis, h.config.redis.keyPrefix);
  for (const account of ['user1', 'user2', 'user3']) await h.login(account, TEST_PASSWORD, 'floor'); // slots 1-3
  // Slots 4-7: claimed in Redis by logins whose winner insert never happened (a crashed API).
  for (const account of ['user4', 'user5', 'user6', 'user7']) await counter.claim('floor', await userId(account));
  for (const account of ['user8', 'user9', 'user10']) await h.login(account, TEST_PASSWORD, 'floor'); // slots 8-10
  expect((await winners('floor')).map((w) => w.slot).sort((a, b) => a - b)).toEqual([1, 2, 3, 8, 9, 10]);

  // Redis loses the campaign's keys.
  const keys = campaignKeys(h.config.redis.keyPrefix, 'floor');
  await h.api.redis.del(keys.meta, keys.counter, keys.slots, keys.free);

  const lowered = await h.http.patch('/admin/campaigns/floor').set('authorization', operator).send({ limit: 6 });
  expect(lowered.status).toBe(409);
  expect(lowered.body).toMatchObject({ errorCode: 'CAMPAIGN_LIMIT_BELOW_COUNTER', details: { highestSlot: 10 } });
  expect((await h.api.stores.campaigns.findById('floor'))?.limit).toBe(10);

  // The system heals itself (the workers' schedule), and the campaign fills up to exactly its limit.
  await h.startWorker();
  const seen: number[] = [];
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    for (let i = 11; i <= 20; i++) await h.login(`user${i}`, TEST_PASSWORD, 'floor');
    const slots = (await winners('floor')).map((w) => w.slot as number);
    seen.push(slots.length);
    expect(Math.max(...slots)).toBeLessThanOrEqual(10);
    if (slots.length === 10) break;
    await sleep(500);
  }
  expect(Math.max(...seen)).toBeLessThanOrEqual(10);
  expect((await winners('floor')).map((w) => w.slot).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

describe('a change that lands while a reconciliation pass runs is not undone by it', () => {
  /** A reconciliation over the real adapters whose snapshot step lets `during` run first (mid-pass). */
  function reconcilerWith(during: () => Promise<void>): ReconcileCampaign {
    const counter = new RedisSlotCounter(h.api.redis, h.config.redis.keyPrefix);
    const queues = createQueues(h.api.redis, h.config, silentLogger);
    const repair = Object.create(counter) as RedisSlotCounter;
    repair.snapshot = async (campaignId) => {
      const before = await counter.snapshot(campaignId);
      await during();
      return before;
    };
    return new ReconcileCampaign({
      campaigns: h.api.stores.campaigns,
      winners: h.api.stores.winners,
      vouchers: h.api.stores.vouchers,
      participations: h.api.stores.participations,
      slots: counter,
      repair,
      redelivery: voucherQueue(queues, h.config),
      clock: systemClock,
      logger: silentLogger,
      graceMs: 30_000,
    });
  }

  test('a pause: Redis stays paused and nobody wins', async () => {
    await h.saveCampaign('pause-race', { limit: 5 });
    await h.login('user1', TEST_PASSWORD, 'pause-race');
    // An older Redis image: settings of the version before, so the pass has something to publish.
    const meta = campaignKeys(h.config.redis.keyPrefix, 'pause-race').meta;
    await h.api.redis.hset(meta, 'version', '0');
    const report = await reconcilerWith(async () => {
      const paused = await h.http
        .post('/admin/campaigns/pause-race/pause')
        .set('authorization', operator)
        .set('content-type', 'application/json');
      expect(paused.status).toBe(200);
    }).execute('pause-race');
    expect(report.settingsRestored).toBe(false); // its settings were older than the pause's: refused
    expect(await h.api.redis.hget(meta, 'paused')).toBe('1');
    const late = await h.login('user2', TEST_PASSWORD, 'pause-race');
    expect(late.body).toMatchObject({ status: false, errorCode: 'CAMPAIGN_PAUSED' });
    expect((await winners('pause-race')).length).toBe(1);
  });

  test('a lowered limit: not raised back', async () => {
    await h.saveCampaign('limit-race', { limit: 10 });
    await h.login('user1', TEST_PASSWORD, 'limit-race');
    const meta = campaignKeys(h.config.redis.keyPrefix, 'limit-race').meta;
    await h.api.redis.hset(meta, 'version', '0');
    await reconcilerWith(async () => {
      // A lowering is refused while Redis runs settings older than the database's (it may have lost slots
      // handed out under them): the counter is back in force before it, as after another pass.
      const stored = await h.api.stores.campaigns.findById('limit-race');
      await h.api.redis.hset(meta, 'version', String(stored?.version));
      const lowered = await h.http
        .patch('/admin/campaigns/limit-race')
        .set('authorization', operator)
        .send({ limit: 2 });
      expect(lowered.status).toBe(200);
    }).execute('limit-race');
    expect(await h.api.redis.hget(meta, 'limit')).toBe('2');
    for (const account of ['user2', 'user3', 'user4']) await h.login(account, TEST_PASSWORD, 'limit-race');
    expect((await winners('limit-race')).length).toBe(2);
  });
});
