import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { campaignKeys } from '../../src/adapters/redis/keys';
import { startFaultRig, type FaultRig } from '../support/fault-rig';

let rig: FaultRig;

beforeAll(async () => {
  rig = await startFaultRig();
  await rig.registerUsers(1);
  await rig.saveCampaign('c', { limit: 10 });
  await rig.startWorkers();
});
afterAll(async () => {
  await rig?.close();
});

test('the same user logging in 50 times at once: one participation, one slot, one voucher, one "won"', async () => {
  const answers = await Promise.all(Array.from({ length: 50 }, () => rig.login('user1', 'c')));
  expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
  const outcomes = answers.map((a) => a.body.campaigns?.[0]);
  expect(outcomes.filter((o) => o?.outcome === 'won')).toHaveLength(1);
  expect(outcomes.filter((o) => o?.outcome === 'already_won')).toHaveLength(49);
  expect(new Set(outcomes.map((o) => o?.slot))).toEqual(new Set([1]));
  expect(new Set(outcomes.map((o) => o?.voucher?.code)).size).toBe(1);

  await rig.drain();
  const db = rig.api.mongo.db;
  expect(await db.collection(COLLECTIONS.campaignLogins).countDocuments({ campaignId: 'c' })).toBe(1);
  expect(await db.collection(COLLECTIONS.winners).countDocuments({ campaignId: 'c' })).toBe(1);
  expect(await db.collection(COLLECTIONS.vouchers).countDocuments({ campaignId: 'c' })).toBe(1);
  expect(await rig.api.redis.get(campaignKeys(rig.config.redis.keyPrefix, 'c').counter)).toBe('1');
});
