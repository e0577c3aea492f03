import type { Queue } from 'bullmq';

import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { voucherJobIdFor } from '../../src/domain/voucher';
import { IssueVoucher } from '../../src/application/issue-voucher.use-case';
import { systemClock } from '../../src/ports/clock.port';
import type { VoucherStore } from '../../src/ports/voucher-store.port';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
let queue: Queue;

beforeAll(async () => {
  h = await startHarness();
  await h.registerUsers(3);
  queue = h.api.queues.voucherIssue;
});
afterAll(async () => {
  await h.close();
});

/** The real voucher store, except that its first `failures` inserts fail as a dropped connection would. */
function failingFirst(store: VoucherStore, failures: number): VoucherStore & { calls: number } {
  const flaky = Object.assign(Object.create(store) as VoucherStore, { calls: 0 });
  flaky.insert = async (voucher) => {
    flaky.calls += 1;
    if (flaky.calls <= failures) throw new Error(`simulated transient failure ${flaky.calls}`);
    return store.insert(voucher);
  };
  return flaky;
}

test('a job that fails twice with a transient error is retried and the voucher exists once', async () => {
  await h.saveCampaign('flaky', { limit: 5 });
  const flaky = failingFirst(h.api.stores.vouchers, 2);
  await h.startWorker({
    issueVoucher: new IssueVoucher(h.api.stores.winners, h.api.stores.campaigns, flaky, systemClock),
  });

  const { body } = await h.login('user1', undefined, 'flaky');
  expect(body.campaigns?.[0]?.outcome).toBe('won');
  await h.drainQueue();

  const job = await queue.getJob(voucherJobIdFor('flaky', body.userId as string));
  expect(job?.attemptsMade).toBe(3);
  expect(await job?.getState()).toBe('completed');
  expect(flaky.calls).toBe(3);
  expect(await h.api.mongo.db.collection(COLLECTIONS.vouchers).countDocuments({ campaignId: 'flaky' })).toBe(1);
});

test('running the same voucher job again writes no second voucher', async () => {
  await h.saveCampaign('twice', { limit: 5 });
  await h.startWorker();
  const { body } = await h.login('user2', undefined, 'twice');
  await h.drainQueue();
  const jobId = voucherJobIdFor('twice', body.userId as string);
  const job = await queue.getJob(jobId);
  expect(job?.returnvalue).toBe('created');

  // A second delivery of the same request (as after a lost acknowledgement) finds the voucher there.
  await job?.remove();
  await queue.add('issue', { campaignId: 'twice', userId: body.userId }, { jobId });
  await h.drainQueue();
  expect((await queue.getJob(jobId))?.returnvalue).toBe('exists');
  expect(await h.api.mongo.db.collection(COLLECTIONS.vouchers).countDocuments({ campaignId: 'twice' })).toBe(1);
});

test('a job for someone who did not win fails for good, without retries', async () => {
  await h.startWorker();
  const jobId = voucherJobIdFor('twice', 'not-a-winner');
  await queue.add('issue', { campaignId: 'twice', userId: 'not-a-winner' }, { jobId, attempts: 5, backoff: 10 });
  await h.drainQueue();
  const job = await queue.getJob(jobId);
  expect(await job?.getState()).toBe('failed');
  expect(job?.attemptsMade).toBe(1);
  expect(job?.failedReason).toMatch(/WINNER_NOT_FOUND/);
  expect(await h.api.mongo.db.collection(COLLECTIONS.vouchers).countDocuments({ userId: 'not-a-winner' })).toBe(0);
});
