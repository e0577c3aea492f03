import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { campaignKeys } from '../../src/adapters/redis/keys';
import { RedisSlotCounter } from '../../src/adapters/redis/redis-slot-counter';
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
