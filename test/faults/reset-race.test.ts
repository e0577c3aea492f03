import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { RedisSlotCounter } from '../../src/adapters/redis/redis-slot-counter';
import { DEV_ADMIN_PASSWORD } from '../../src/config';
import type { Winner } from '../../src/domain/slot';
import type { RecordWinnerResult } from '../../src/ports/winner-store.port';
import { sendJson } from '../support/http-client';
import { startFaultRig, type Answer, type FaultRig } from '../support/fault-rig';

/**
 * A login reads the campaign while it runs, and its winner's insert reaches the database only after an
 * operator has ended the campaign, reset it and opened it again: the insert lands after the reset's delete.
 * That winner belongs to the run the reset ended. It must not become a winner of the new run, nor get a
 * voucher; and the user's own next login is a login of the new run.
 *
 * The insert is held back in the API process (the real insert, to the real database, once released); the
 * operator's calls go over HTTP; nothing here reconciles: the workers' schedule does.
 */
let rig: FaultRig;

const operator = `Basic ${Buffer.from(`admin:${DEV_ADMIN_PASSWORD}`).toString('base64')}`;

beforeAll(async () => {
  rig = await startFaultRig();
  await rig.registerUsers(3);
  await rig.startWorkers();
});
afterAll(async () => {
  await rig?.close();
});

async function admin(method: string, path: string, body: object = {}): Promise<void> {
  const { status, body: answer } = await sendJson(method, `${rig.baseUrl}/admin/campaigns/${path}`, body, {
    authorization: operator,
  });
  if (status !== 200) throw new Error(`${method} ${path} answered ${status}: ${JSON.stringify(answer)}`);
}

/** The held insert, once released: when it returned, the record it wrote and the store's result. */
type Landing = { at: number; winner: Winner; result: RecordWinnerResult };

/**
 * user1 logs in; the moment the API sends its winner's insert, the insert is held while the operator ends,
 * resets and reopens the campaign. Then `beforeLanding` runs and the insert goes to the database.
 */
async function resetWhileUser1Lands(
  campaignId: string,
  beforeLanding: () => void,
): Promise<{ answer: Answer; landed: Landing | null }> {
  await rig.saveCampaign(campaignId, { limit: 3 });
  const winners = rig.api.stores.winners;
  const record = winners.record.bind(winners);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held = false;
  let landed: Landing | null = null;
  const spy = jest
    .spyOn(winners, 'record')
    .mockImplementationOnce(async (winner: Winner): Promise<RecordWinnerResult> => {
      held = true;
      await released;
      const result = await record(winner);
      landed = { at: Date.now(), winner, result };
      return result;
    });
  const answer = rig.login('user1', campaignId);
  for (let i = 0; !held; i += 1) {
    if (i > 500) throw new Error('the winner insert was never sent');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await admin('PATCH', campaignId, { endsAt: new Date().toISOString() });
  await admin('POST', `${campaignId}/reset`);
  await admin('PATCH', campaignId, { endsAt: null });
  beforeLanding();
  release();
  const answered = await answer;
  spy.mockRestore();
  return { answer: answered, landed };
}

const winnersOf = (campaignId: string) =>
  rig.read((db) => db.collection(COLLECTIONS.winners).find({ campaignId }).sort({ slot: 1 }).toArray());
const vouchersOf = (campaignId: string) =>
  rig.read((db) => db.collection(COLLECTIONS.vouchers).find({ campaignId }).toArray());

/**
 * The new run, checked end to end: user2 and user1 win slots 1 and 2 of run 1 (in either order: the API's
 * follow-up of user1's 503 may take a slot and give it back first), each with one voucher. user1's own
 * answer is already_won when that follow-up finished the slot her login held before her login did.
 */
async function newRunIsClean(campaignId: string): Promise<void> {
  const user2 = await rig.loginUntilDecided('user2', campaignId);
  expect(user2.at(-1)?.body).toMatchObject({ campaigns: [{ outcome: 'won' }] });
  const user1 = (await rig.loginUntilDecided('user1', campaignId)).at(-1)?.body.campaigns?.[0];
  expect(['won', 'already_won']).toContain(user1?.outcome);
  await rig.drain();
  const winners = await winnersOf(campaignId);
  expect(winners.map((w) => [w.slot, w.run])).toEqual([
    [1, 1],
    [2, 1],
  ]);
  const vouchers = await vouchersOf(campaignId);
  expect(vouchers.map((v) => v.userId).sort()).toEqual(winners.map((w) => w.userId as string).sort());
}

test('the claim sees the new run after its insert: it removes its record and answers 503', async () => {
  const { answer: first } = await resetWhileUser1Lands('race-own', () => {});
  expect(first.status).toBe(503);
  expect(first.body).toMatchObject({ errorCode: 'SERVICE_UNAVAILABLE', campaigns: [{ outcome: 'unavailable' }] });
  expect(await winnersOf('race-own')).toEqual([]);
  expect(await vouchersOf('race-own')).toEqual([]);
  await newRunIsClean('race-own');
});

test('a claim stopped before its check: the scheduled reconciliation removes the record, no voucher is written', async () => {
  const campaigns = rig.api.stores.campaigns;
  // The check after the insert is this claim's next campaign read: it fails, as if its process had stopped.
  const { answer, landed } = await resetWhileUser1Lands('race-stopped', () => {
    jest.spyOn(campaigns, 'findById').mockRejectedValueOnce(new Error('the process stopped here'));
  });
  expect(answer.status).toBe(503);
  // The insert itself says it landed, and when: the schedule may already have removed the record by the
  // time the answer reaches this test, so the database is no witness of the landing.
  expect(landed).toMatchObject({ winner: { slot: 1, run: 0 }, result: { kind: 'recorded' } });
  const landedAt = landed!.at;

  // Nobody reconciles by hand: the workers' schedule (every second in this rig) removes it.
  let removedAfter: number | null = null;
  while (removedAfter === null && Date.now() - landedAt < 20_000) {
    if ((await winnersOf('race-stopped')).length === 0) removedAfter = Date.now() - landedAt;
    else await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(removedAfter).not.toBeNull();
  console.log(
    `FIGURE a stopped claim's record of an ended run removed by the schedule ${removedAfter} ms after it landed`,
  );
  expect(removedAfter).toBeLessThan(10_000);
  expect(await vouchersOf('race-stopped')).toEqual([]);
  await newRunIsClean('race-stopped');
});

test('a slot the old counter handed out is recorded in no run, though its claim reads the campaign reset and open again', async () => {
  // The claim gets its slot, then its read of the campaign is held while the operator ends, resets and
  // reopens it: the read then says "running, the new run". The slot is the old counter's.
  await rig.saveCampaign('race-read', { limit: 3 });
  const campaigns = rig.api.stores.campaigns;
  const findById = campaigns.findById.bind(campaigns);
  const claim = RedisSlotCounter.prototype.claim;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let reading = false;
  const claims = jest.spyOn(RedisSlotCounter.prototype, 'claim').mockImplementationOnce(async function (
    this: RedisSlotCounter,
    campaignId: string,
    userId: string,
  ) {
    const slot = await claim.call(this, campaignId, userId);
    jest.spyOn(campaigns, 'findById').mockImplementationOnce(async (id: string) => {
      reading = true;
      await released;
      return findById(id);
    });
    return slot;
  });
  const answer = rig.login('user1', 'race-read');
  for (let i = 0; !reading; i += 1) {
    if (i > 500) throw new Error('the claim never read the campaign');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await admin('PATCH', 'race-read', { endsAt: new Date().toISOString() });
  await admin('POST', 'race-read/reset');
  await admin('PATCH', 'race-read', { endsAt: null });
  release();
  const first = await answer;
  claims.mockRestore();
  expect(first.status).toBe(503);
  expect(await winnersOf('race-read')).toEqual([]);
  await newRunIsClean('race-read');
});
