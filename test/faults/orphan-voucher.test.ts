import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { IssueVoucher } from '../../src/application/issue-voucher.use-case';
import { DEV_ADMIN_PASSWORD } from '../../src/config';
import type { Voucher } from '../../src/domain/voucher';
import type { VoucherStore } from '../../src/ports/voucher-store.port';
import { systemClock } from '../../src/adapters/system-clock';
import { sendJson } from '../support/http-client';
import { startFaultRig, type FaultRig } from '../support/fault-rig';

/**
 * A voucher job sends its insert; the database takes it in but answers too late, so the job's try times out.
 * Meanwhile an operator ends the campaign, resets it and opens it again (the reset deletes the winner, and
 * finds no voucher yet). The job's retry finds no winner and fails for good. Then the insert lands: a voucher
 * with no winner, which no job will ever look at again. Nothing here reconciles: the workers' schedule
 * (every second in this rig) must remove it, and leave the new run's vouchers alone.
 */
let rig: FaultRig;

const operator = `Basic ${Buffer.from(`admin:${DEV_ADMIN_PASSWORD}`).toString('base64')}`;

async function admin(method: string, path: string, body: object = {}): Promise<void> {
  const { status, body: answer } = await sendJson(method, `${rig.baseUrl}/admin/campaigns/${path}`, body, {
    authorization: operator,
  });
  if (status !== 200) throw new Error(`${method} ${path} answered ${status}: ${JSON.stringify(answer)}`);
}

const vouchersOf = (campaignId: string) =>
  rig.read((db) => db.collection(COLLECTIONS.vouchers).find({ campaignId }).toArray());
const winnersOf = (campaignId: string) =>
  rig.read((db) => db.collection(COLLECTIONS.winners).find({ campaignId }).toArray());

/** Signals that can be awaited and fired from elsewhere. */
function signal(): { fired: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const fired = new Promise<void>((resolve) => (fire = resolve));
  return { fired, fire };
}

beforeAll(async () => {
  rig = await startFaultRig();
  await rig.registerUsers(2);
});
afterAll(async () => {
  await rig?.close();
});

test('a voucher whose insert lands after its job gave up, its winner reset away, is removed by the schedule', async () => {
  const store = rig.api.stores.vouchers;
  const sent = signal(); // the first insert reached the database
  const timedOut = signal(); // its try gives up, the insert still in flight
  const gaveUp = signal(); // the retry found no winner and removed nothing
  const land = signal(); // the insert lands
  let landing: Promise<'created' | 'exists'> | null = null;
  const late = Object.assign(Object.create(store) as VoucherStore, {
    insert: async (voucher: Voucher) => {
      if (landing !== null) return store.insert(voucher);
      landing = land.fired.then(() => store.insert(voucher));
      sent.fire();
      await timedOut.fired;
      throw new Error('operation exceeded time limit (the insert is still on its way)');
    },
    deleteOne: async (...args: Parameters<VoucherStore['deleteOne']>) => {
      const deleted = await store.deleteOne(...args);
      gaveUp.fire();
      return deleted;
    },
  });
  const api = rig.api.stores;
  await rig.startWorkers({ issueVoucher: new IssueVoucher(api.winners, api.campaigns, late, systemClock) });

  await rig.saveCampaign('orphan', { limit: 3 });
  const won = await rig.login('user1', 'orphan');
  expect(won.body).toMatchObject({ campaigns: [{ outcome: 'won', slot: 1 }] });
  await sent.fired;
  await admin('PATCH', 'orphan', { endsAt: new Date().toISOString() });
  await admin('POST', 'orphan/reset');
  await admin('PATCH', 'orphan', { endsAt: null });
  timedOut.fire();
  await gaveUp.fired;
  expect(await vouchersOf('orphan')).toEqual([]);

  land.fire();
  expect(await landing).toBe('created');
  const landedAt = Date.now();
  expect(await winnersOf('orphan')).toEqual([]);

  let removedAfter: number | null = null;
  while (removedAfter === null && Date.now() - landedAt < 20_000) {
    if ((await vouchersOf('orphan')).length === 0) removedAfter = Date.now() - landedAt;
    else await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(removedAfter).not.toBeNull();
  console.log(`FIGURE a voucher without a winner removed by the schedule ${removedAfter} ms after it landed`);
  expect(removedAfter).toBeLessThan(10_000);

  // The new run is untouched: both users win it, each with one voucher, and the schedule keeps them.
  for (const account of ['user2', 'user1']) {
    const answers = await rig.loginUntilDecided(account, 'orphan');
    expect(answers.at(-1)?.body).toMatchObject({ campaigns: [{ outcome: 'won' }] });
  }
  await rig.drain();
  await new Promise((resolve) => setTimeout(resolve, 2_500)); // two scheduled passes over the new run
  const winners = await winnersOf('orphan');
  expect(winners.map((w) => [w.slot, w.run]).sort()).toEqual([
    [1, 1],
    [2, 1],
  ]);
  const vouchers = await vouchersOf('orphan');
  expect(vouchers.map((v) => v.userId).sort()).toEqual(winners.map((w) => w.userId as string).sort());
});
