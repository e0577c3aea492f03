import type { Queue } from 'bullmq';

import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { startFaultRig, type FaultRig } from '../support/fault-rig';

/**
 * A worker is SIGKILLed while it holds jobs; a second worker takes them over once their locks lapse
 * (BullMQ's stalled-job recovery), and every winner ends with exactly one voucher.
 */
let rig: FaultRig;
let queue: Queue;

beforeAll(async () => {
  rig = await startFaultRig();
  queue = rig.api.queues.voucherIssue;
});
afterAll(async () => {
  await rig?.close();
});

test('a worker killed mid-jobs loses none: another takes them over, vouchers exactly once', async () => {
  const accounts = await rig.registerUsers(60);
  await rig.saveCampaign('c', { limit: 60 });
  // Set-up, one login after another: this test is about the worker, and 60 logins at once on a loaded
  // machine (the suites run two at a time) could outlast their database budget and answer 503.
  const outcomes: (string | number)[] = [];
  for (const account of accounts) {
    const answer = await rig.login(account, 'c');
    outcomes.push(answer.body.campaigns?.[0]?.outcome ?? answer.status);
  }
  expect(outcomes).toEqual(accounts.map(() => 'won'));

  // Hold the queue until the first worker is up, freeze the database so that worker's jobs hang in the
  // middle, let it take them, and kill it only once it holds jobs: each active, each under its lock.
  await queue.pause();
  const first = rig.spawnWorker();
  const deadline = Date.now() + 30_000;
  const until = async (what: string, done: () => Promise<boolean>): Promise<void> => {
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(what);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await until('the first worker did not start', async () => (await queue.getWorkers()).length > 0);
  rig.ferret.freeze();
  await queue.resume();
  const lockOf = (id: string) => `${rig.config.queue.prefix}:${queue.name}:${id}:lock`;
  let heldByTheDead: string[] = [];
  await until('the first worker never held a job', async () => {
    const active = (await queue.getJobs(['active'])).map((job) => job.id as string);
    const locked = await Promise.all(active.map(async (id) => (await rig.api.redis.exists(lockOf(id))) === 1));
    heldByTheDead = active.filter((_, i) => locked[i]);
    return heldByTheDead.length > 0;
  });
  first.kill('SIGKILL');
  await new Promise<void>((resolve) => first.once('exit', () => resolve()));
  rig.ferret.thaw();
  // Their locks lapse (nobody renews them now), so the next worker finds them stalled, not merely busy.
  await until('the dead worker’s locks never lapsed', async () => {
    const locked = await Promise.all(heldByTheDead.map(async (id) => rig.api.redis.exists(lockOf(id))));
    return locked.every((exists) => exists === 0);
  });

  await rig.startWorkers();
  await rig.drain();

  expect(heldByTheDead.length).toBeGreaterThan(0);
  for (const id of heldByTheDead) {
    const job = await queue.getJob(id);
    expect(await job?.getState()).toBe('completed');
    expect(job?.stalledCounter).toBeGreaterThanOrEqual(1); // recovered from the dead worker's lock
  }
  const vouchers = await rig.api.mongo.db.collection(COLLECTIONS.vouchers).find({ campaignId: 'c' }).toArray();
  expect(vouchers).toHaveLength(60);
  expect(new Set(vouchers.map((v) => v.userId)).size).toBe(60);
});
