import { MongoClient } from 'mongodb';

import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { MongoParticipationStore } from '../../src/adapters/mongo/mongo-participation-store';
import { silentLogger } from '../../src/adapters/silent-logger';
import { LateParticipants } from '../../src/application/support/late-participants';
import { startFaultRig, type FaultRig } from '../support/fault-rig';

/**
 * The participations of logins that won nothing are written in batches. A batch the database does not take
 * (here: FerretDB frozen, the driver's socket timeout) is neither counted as written nor dropped: it is
 * tried again until the database answers.
 */
let rig: FaultRig;

beforeAll(async () => {
  rig = await startFaultRig({ env: { MONGO_OPERATION_TIMEOUT_MS: '1000' } });
});
afterAll(async () => {
  rig.ferret.thaw();
  await rig?.close();
});

const participants = (campaignId: string) =>
  rig.read((db) => db.collection(COLLECTIONS.campaignLogins).countDocuments({ campaignId }));

test('an insert the database froze during is an error, not a batch of duplicates', async () => {
  // The database freezes as the insert itself is sent: the driver reports its timeout as a bulk write
  // error with no write errors, which says nothing about the documents.
  const client = new MongoClient(rig.env.MONGO_URL as string, { monitorCommands: true, socketTimeoutMS: 1_000 });
  client.on('commandStarted', (event) => {
    if (event.commandName === 'insert') rig.ferret.freeze();
  });
  try {
    const store = new MongoParticipationStore(client.db());
    const entries = [0, 1, 2].map((i) => ({ campaignId: 'timed-out', userId: `u${i}`, at: new Date() }));
    await expect(store.recordMany(entries)).rejects.toThrow(/timed out/);
  } finally {
    rig.ferret.thaw();
    await client.close();
  }
});

test('batches buffered while the database is frozen are all written once it answers again', async () => {
  const late = new LateParticipants(rig.api.stores.participations, silentLogger, {
    batchSize: 50,
    flushIntervalMs: 200,
    maxBuffered: 10_000,
  });
  rig.ferret.freeze();
  const at = new Date();
  for (let i = 0; i < 200; i++) late.add('frozen', `u${i}`, at);
  await new Promise((r) => setTimeout(r, 2_500)); // tries that time out (1 s each)
  rig.ferret.thaw();
  const thawed = Date.now();
  let recorded = 0;
  while (Date.now() - thawed < 30_000) {
    recorded = await participants('frozen');
    if (recorded === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`FIGURE 200 buffered participations written ${Date.now() - thawed} ms after the database answered`);
  expect(recorded).toBe(200);
  await late.flush();
});

test("an API stopping while the database is frozen stops within seconds, not the patient pool's 30 s", async () => {
  const accounts = await rig.registerUsers(11, 'stopping');
  await rig.saveCampaign('stopping', { limit: 1 });
  for (const account of accounts) await rig.login(account, 'stopping'); // one winner, ten buffered losers
  rig.ferret.freeze();
  const started = Date.now();
  await rig.api.close(); // 5 s for the buffer, 2 s for the connections
  const tookMs = Date.now() - started;
  console.log(`FIGURE an API with a frozen database stopped in ${tookMs} ms`);
  expect(tookMs).toBeLessThan(15_000);
});
