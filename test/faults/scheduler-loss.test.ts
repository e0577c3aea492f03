import { Redis } from 'ioredis';

import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { DEFAULT_TIMING, startFaultRig, type FaultRig } from '../support/fault-rig';

/**
 * Redis loses everything while the worker is stopped: the queued voucher jobs and the reconcile schedule go
 * with it. Then nobody logs in and no operator acts. With the service's default settings, every winner
 * must still get exactly one voucher within 60 s: the worker notices the loss by itself.
 */
let rig: FaultRig;

beforeAll(async () => {
  rig = await startFaultRig({ env: DEFAULT_TIMING });
});
afterAll(async () => {
  await rig?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('winners recorded with the worker stopped, FLUSHALL, worker resumed, no login: every voucher within 60 s', async () => {
  const accounts = await rig.registerUsers(20);
  await rig.saveCampaign('quiet', { limit: 20 });
  const worker = rig.spawnWorker();
  const deadline = Date.now() + 60_000;
  while ((await rig.api.queues.voucherIssue.getWorkers()).length === 0) {
    if (Date.now() > deadline) throw new Error('the worker did not start');
    await sleep(50);
  }

  worker.kill('SIGSTOP');
  // Clients retry a 503 as the app does (the database budget is the default 400 ms on a busy machine).
  const answers = await Promise.all(accounts.map((account) => rig.loginUntilDecided(account, 'quiet')));
  const decided = answers.map((tries) => tries.at(-1)?.body.campaigns?.[0]?.outcome);
  expect(decided.every((outcome) => outcome === 'won' || outcome === 'already_won')).toBe(true);
  const recorded = await rig.read((db) => db.collection(COLLECTIONS.winners).countDocuments({ campaignId: 'quiet' }));
  expect(recorded).toBe(20);
  const admin = new Redis(rig.redis.url, { maxRetriesPerRequest: 1 });
  await admin.flushall().finally(() => admin.disconnect());
  const resumedAt = Date.now();
  worker.kill('SIGCONT');

  // No login, no operator action: only the clock.
  const vouchers = () => rig.read((db) => db.collection(COLLECTIONS.vouchers).find({ campaignId: 'quiet' }).toArray());
  let issued = await vouchers();
  while (issued.length < 20 && Date.now() - resumedAt < 60_000) {
    await sleep(250);
    issued = await vouchers();
  }
  const healedMs = Date.now() - resumedAt;
  console.log(`FIGURE scheduler loss: ${issued.length} of 20 vouchers ${healedMs} ms after the worker resumed`);
  expect(issued).toHaveLength(20);
  expect(new Set(issued.map((v) => v.userId)).size).toBe(20);
  const winners = await rig.read((db) => db.collection(COLLECTIONS.winners).find({ campaignId: 'quiet' }).toArray());
  expect(new Set(issued.map((v) => v.userId))).toEqual(new Set(winners.map((w) => w.userId)));
  expect(healedMs).toBeLessThan(60_000);
}, 120_000);
