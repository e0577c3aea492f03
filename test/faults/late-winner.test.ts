import type { CommandStartedEvent } from 'mongodb';

import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { startFaultRig, type FaultRig } from '../support/fault-rig';

/**
 * A login whose winner insert reaches the database just as the database freezes is answered 503 (the
 * client cannot wait), and the insert completes once the database thaws. That is acceptable, and it must
 * be visible: a retry answers already_won with that slot, and the voucher follows.
 */
let rig: FaultRig;

beforeAll(async () => {
  rig = await startFaultRig({ monitorMongoCommands: true, env: { MONGO_OPERATION_TIMEOUT_MS: '400' } });
  await rig.registerUsers(2);
  await rig.saveCampaign('late', { limit: 5 });
  await rig.startWorkers();
});
afterAll(async () => {
  await rig.close();
});

test('answered 503, recorded after the thaw: the retry answers already_won with that slot; one voucher follows', async () => {
  // Freeze FerretDB the moment the API sends the winner's insert: it lands in the socket, unanswered.
  let frozen = false;
  const freezeOnWinnerInsert = (event: CommandStartedEvent): void => {
    if (!frozen && event.commandName === 'insert' && event.command.insert === COLLECTIONS.winners) {
      frozen = true;
      rig.ferret.freeze();
    }
  };
  rig.api.mongo.client.on('commandStarted', freezeOnWinnerInsert);
  const first = await rig.login('user1', 'late');
  rig.api.mongo.client.off('commandStarted', freezeOnWinnerInsert);
  expect(frozen).toBe(true);
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
