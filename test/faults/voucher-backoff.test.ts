import type { Queue } from 'bullmq';

import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { startFaultRig, type FaultRig } from '../support/fault-rig';

/**
 * The database goes away while winners' voucher jobs run, long enough that an uncapped doubling backoff
 * would have them sleep about as long again after it returns (an outside attack saw vouchers 80 s after an
 * overload ended). With the capped backoff each job tries again within the cap of the database's return.
 * Nothing reconciles here (its schedule is an hour away): the jobs' own retries deliver.
 */
const CAP_MS = 500;
const OUTAGE_MS = 10_000;
let rig: FaultRig;
let queue: Queue;

beforeAll(async () => {
  rig = await startFaultRig({
    env: {
      VOUCHER_JOB_ATTEMPTS: '60',
      VOUCHER_JOB_BACKOFF_MS: '100',
      VOUCHER_JOB_BACKOFF_MAX_MS: String(CAP_MS),
      RECONCILE_INTERVAL_MS: '3600000',
    },
  });
  queue = rig.api.queues.voucherIssue;
});
afterAll(async () => {
  await rig?.close();
});

test('voucher jobs waiting out their backoff through an outage deliver within the cap of its end', async () => {
  const accounts = await rig.registerUsers(10);
  await rig.saveCampaign('c', { limit: 10 });
  await queue.pause(); // the jobs wait until the database is gone
  const answers = (await Promise.all(accounts.map((account) => rig.loginUntilDecided(account, 'c')))).map((tries) =>
    tries.at(-1),
  );
  expect(answers.every((a) => ['won', 'already_won'].includes(a?.body.campaigns?.[0]?.outcome ?? ''))).toBe(true);

  await rig.startWorkers();
  await rig.ferret.stop();
  await queue.resume();
  // Every wait a job was given between two tries, sampled through the outage.
  let longestWait = 0;
  for (const until = Date.now() + OUTAGE_MS; Date.now() < until;) {
    const delayed = await queue.getJobs(['delayed']);
    longestWait = Math.max(longestWait, ...delayed.map((job) => job.delay));
    await new Promise((r) => setTimeout(r, 100));
  }
  const fewestTries = Math.min(...(await queue.getJobs(['delayed', 'wait', 'active'])).map((job) => job.attemptsMade));
  // Six failed tries: doubling from 100 ms, the next wait would be 3.2 s or more; capped, it is 500 ms.
  expect(fewestTries).toBeGreaterThanOrEqual(6);
  expect(longestWait).toBe(CAP_MS);

  await rig.ferret.restart();
  const back = Date.now();
  let delivered = 0;
  while (Date.now() - back < 30_000) {
    delivered = await rig.read((db) => db.collection(COLLECTIONS.vouchers).countDocuments({ campaignId: 'c' }));
    if (delivered >= 10) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const tookMs = Date.now() - back;
  console.log(
    `FIGURE ${delivered} of 10 vouchers delivered ${tookMs} ms after the database returned (waits capped at ${longestWait} ms, ${fewestTries}+ tries in the outage)`,
  );
  expect(delivered).toBe(10);
  // The cap, plus a retry for the first use of each connection pooled before the restart, plus the writes.
  expect(tookMs).toBeLessThan(4_000);
  const issued = await rig.read((db) => db.collection(COLLECTIONS.vouchers).find({ campaignId: 'c' }).toArray());
  expect(new Set(issued.map((v) => v.userId)).size).toBe(10);
}, 120_000);
