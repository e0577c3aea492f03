import type { CommandStartedEvent } from 'mongodb';

import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { DEFAULT_TIMING, startFaultRig, type FaultRig } from '../support/fault-rig';

/**
 * A login whose winner insert reaches the database just as the database freezes is answered 503 (the
 * client cannot wait), and the insert completes once the database thaws. That is acceptable, and it must
 * be visible: a retry answers already_won with that slot, and the voucher follows.
 */
let rig: FaultRig;

beforeAll(async () => {
  // The service's own timings (the 400 ms database budget, reconciliation's 30 s grace), and no scheduled
  // reconciliation pass during the tests: the second test is about what the API does on its own.
  rig = await startFaultRig({
    monitorMongoCommands: true,
    env: { ...DEFAULT_TIMING, RECONCILE_INTERVAL_MS: '600000' },
  });
  await rig.registerUsers(2);
  await rig.saveCampaign('late', { limit: 5 });
  await rig.saveCampaign('unasked', { limit: 5 });
  await rig.startWorkers();
});
afterAll(async () => {
  await rig?.close();
});

/** Freezes FerretDB the moment the API sends a winner's insert: it lands in the socket, unanswered. */
function freezeOnWinnerInsert(): { frozen: () => boolean; stop: () => void } {
  let frozen = false;
  const listener = (event: CommandStartedEvent): void => {
    if (!frozen && event.commandName === 'insert' && event.command.insert === COLLECTIONS.winners) {
      frozen = true;
      rig.ferret.freeze();
    }
  };
  rig.api.mongo.client.on('commandStarted', listener);
  return { frozen: () => frozen, stop: () => rig.api.mongo.client.off('commandStarted', listener) };
}

test('answered 503, recorded after the thaw: the retry answers already_won with that slot; one voucher follows', async () => {
  const freeze = freezeOnWinnerInsert();
  const first = await rig.login('user1', 'late');
  freeze.stop();
  expect(freeze.frozen()).toBe(true);
  expect(first.status).toBe(503);
  expect(first.retryAfter).toBeDefined();
  expect(first.ms).toBeLessThan(2_000);

  rig.ferret.thaw();
  const deadline = Date.now() + 20_000;
  let recorded: { userId: string; slot: number } | null = null;
  while (recorded === null && Date.now() < deadline) {
    const found = await rig.read((db) => db.collection(COLLECTIONS.winners).findOne({ campaignId: 'late' }));
    recorded = found === null ? null : { userId: found.userId as string, slot: found.slot as number };
    if (recorded === null) await new Promise((r) => setTimeout(r, 100));
  }
  expect(recorded).not.toBeNull();

  const retry = await rig.login('user1', 'late');
  expect(retry.status).toBe(200);
  expect(retry.body).toMatchObject({
    status: true,
    userId: recorded?.userId,
    campaigns: [{ campaignId: 'late', outcome: 'already_won', slot: recorded?.slot }],
  });

  await rig.drain();
  const vouchers = await rig.read((db) => db.collection(COLLECTIONS.vouchers).find({ campaignId: 'late' }).toArray());
  expect(vouchers.map((v) => v.userId)).toEqual([recorded?.userId]);
});

test('a winner answered 503 who never tries again gets the voucher in seconds, not after the reconciliation grace', async () => {
  const freeze = freezeOnWinnerInsert();
  const answered = await rig.login('user2', 'unasked');
  freeze.stop();
  expect(freeze.frozen()).toBe(true);
  expect(answered.status).toBe(503);
  const answeredAt = Date.now();
  await new Promise((r) => setTimeout(r, 500));
  rig.ferret.thaw();

  // No retry, no reconcile called: the API's own follow-up (1 s after the 503) must finish the claim.
  let voucher: { userId: string } | null = null;
  while (voucher === null && Date.now() - answeredAt < 25_000) {
    const found = await rig.read((db) => db.collection(COLLECTIONS.vouchers).findOne({ campaignId: 'unasked' }));
    voucher = found === null ? null : { userId: found.userId as string };
    if (voucher === null) await new Promise((r) => setTimeout(r, 100));
  }
  const tookMs = Date.now() - answeredAt;
  console.log(`FIGURE voucher of a winner answered 503, never retried: ${tookMs} ms after the answer`);
  expect(voucher).not.toBeNull();
  // No reconciliation pass runs here (and one leaves a held slot alone for 30 s): the follow-up did it.
  expect(tookMs).toBeLessThan(5_000);
  const winners = await rig.read((db) => db.collection(COLLECTIONS.winners).find({ campaignId: 'unasked' }).toArray());
  expect(winners.map((w) => [w.userId, w.slot])).toEqual([[voucher?.userId, 1]]);
});
