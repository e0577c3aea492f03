import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { campaignKeys } from '../../src/adapters/redis/keys';
import { RedisSlotCounter } from '../../src/adapters/redis/redis-slot-counter';
import { DEV_ADMIN_PASSWORD } from '../../src/config';
import { startHarness, TEST_PASSWORD, type Harness } from '../support/harness';

let h: Harness;
let accounts: string[];

beforeAll(async () => {
  h = await startHarness();
  accounts = await h.registerUsers(300);
});
afterAll(async () => {
  await h?.close();
});

const winnerCount = (campaignId: string) =>
  h.api.mongo.db.collection(COLLECTIONS.winners).countDocuments({ campaignId });

test('a limit lowered in the Redis hash is honoured by the very next claim; raised again, the next claim wins at once', async () => {
  await h.saveCampaign('lowered', { limit: 10 });
  expect((await h.login('user1', TEST_PASSWORD, 'lowered')).body.campaigns?.[0]?.outcome).toBe('won');
  expect((await h.login('user2', TEST_PASSWORD, 'lowered')).body.campaigns?.[0]?.outcome).toBe('won');

  // No API cache sits between the hash and the claim: the script reads the limit on every call.
  await h.api.redis.hset(campaignKeys(h.config.redis.keyPrefix, 'lowered').meta, 'limit', '2');
  expect((await h.login('user3', TEST_PASSWORD, 'lowered')).body).toMatchObject({
    status: false,
    errorCode: 'CAMPAIGN_FULL',
  });

  // Raised through the campaign settings: the change is announced, so no process's sold-out view lingers.
  await h.saveCampaign('lowered', { limit: 3 });
  expect((await h.login('user3', TEST_PASSWORD, 'lowered')).body.campaigns?.[0]).toMatchObject({
    outcome: 'won',
    slot: 3,
  });
});

test('lowering the limit mid-burst stops the burst at exactly the new limit', async () => {
  await h.saveCampaign('midburst', { limit: 250 });
  const burst = Promise.all(accounts.map((account) => h.login(account, TEST_PASSWORD, 'midburst')));

  // Wait until some slots are gone, then cut the limit a little above the counter as it stands, as an
  // operator does (SaveCampaign: the counter's script takes it first, atomically). It refuses a limit below
  // the slots already handed out (the burst may overtake us between read and write), changing nothing, so
  // retry with the fresh value until it lands.
  const counter = new RedisSlotCounter(h.api.redis, h.config.redis.keyPrefix);
  while (((await counter.readCounter('midburst')) ?? 0) < 20) await new Promise((r) => setTimeout(r, 5));
  let cutTo: number;
  for (;;) {
    cutTo = ((await counter.readCounter('midburst')) ?? 0) + 10;
    const saved = await h.saveCampaign('midburst', { limit: cutTo }).then(
      () => 'saved',
      (error: { code?: string }) => error.code,
    );
    if (saved === 'saved') break;
    expect(saved).toBe('CAMPAIGN_LIMIT_BELOW_COUNTER');
  }

  const replies = await burst;
  const won = replies.filter((r) => r.body.campaigns?.[0]?.outcome === 'won');
  expect(cutTo).toBeLessThan(250);
  expect(won).toHaveLength(cutTo);
  expect(await winnerCount('midburst')).toBe(cutTo);
  expect(replies.filter((r) => r.status !== 200)).toEqual([]);
});

test('the campaign settings refuse a limit below the slots already handed out, changing nothing', async () => {
  await h.saveCampaign('refuse', { limit: 5 });
  await h.login('user1', TEST_PASSWORD, 'refuse');
  await h.login('user2', TEST_PASSWORD, 'refuse');
  await expect(h.saveCampaign('refuse', { limit: 1 })).rejects.toMatchObject({ code: 'CAMPAIGN_LIMIT_BELOW_COUNTER' });
  expect(await h.api.redis.hget(campaignKeys(h.config.redis.keyPrefix, 'refuse').meta, 'limit')).toBe('5');
  expect((await h.api.stores.campaigns.findById('refuse'))?.limit).toBe(5);
});

test('after Redis lost a campaign, a lower limit is refused 503 until the counter is rebuilt, changing nothing; a pause is not', async () => {
  await h.saveCampaign('lost', { limit: 5 });
  await h.login('user1', TEST_PASSWORD, 'lost');
  await h.login('user2', TEST_PASSWORD, 'lost');
  // Redis loses the campaign (a FLUSHALL, for this campaign's keys only: the server is shared).
  const keys = campaignKeys(h.config.redis.keyPrefix, 'lost');
  await h.api.redis.del(keys.meta, keys.counter, keys.slots, keys.free, keys.suspects);
  const admin = `Basic ${Buffer.from(`admin:${DEV_ADMIN_PASSWORD}`).toString('base64')}`;
  const patch = (body: object) => h.http.patch('/admin/campaigns/lost').set('authorization', admin).send(body);

  // 3 is above both recorded winners: only the counter could tell whether a claim in flight holds slot 4.
  const refused = await patch({ limit: 3, name: 'Renamed' });
  expect(refused.status).toBe(503);
  expect(refused.headers['retry-after']).toBeDefined();
  expect(refused.body).toMatchObject({ errorCode: 'SERVICE_UNAVAILABLE', details: { counter: 'rebuilding' } });
  expect(await h.api.stores.campaigns.findById('lost')).toMatchObject({
    limit: 5,
    name: expect.not.stringMatching('Renamed'),
  });
  expect(await h.api.redis.exists(keys.meta)).toBe(0);

  expect((await patch({ paused: true })).status).toBe(200);
  expect(await h.api.stores.campaigns.findById('lost')).toMatchObject({ limit: 5, paused: true });

  // The worker's reconciliation rebuilds the counter by itself; then the same lowering is checked and stands.
  const worker = await h.startWorker();
  try {
    const counter = new RedisSlotCounter(h.api.redis, h.config.redis.keyPrefix);
    const deadline = Date.now() + 20_000;
    while ((await counter.readCounter('lost')) === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(await counter.readCounter('lost')).toBe(2);
    const lowered = await patch({ limit: 3 });
    expect(lowered.status).toBe(200);
    expect(await h.api.stores.campaigns.findById('lost')).toMatchObject({ limit: 3, paused: true });
  } finally {
    await worker.close();
  }
});
