import { Queue, type Job } from 'bullmq';

import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { IssueVoucher } from '../../src/application/issue-voucher.use-case';
import { systemClock } from '../../src/adapters/system-clock';
import type { VoucherStore } from '../../src/ports/voucher-store.port';
import { QUEUE_NAMES, voucherJobIdFor } from '../../src/adapters/queue/queue-names';
import { BullmqVoucherQueue } from '../../src/adapters/queue/bullmq-voucher-queue';
import { CAPPED_EXPONENTIAL, voucherJobOptions } from '../../src/adapters/queue/job-options';
import { silentLogger } from '../../src/adapters/silent-logger';
import { createQueueRedis } from '../../src/adapters/redis/connection';
import type { Logger } from '../../src/ports/logger.port';
import type { RunningWorkers } from '../../workers/start-workers';
import { startVoucherIssueWorker } from '../../workers/voucher-issue.worker';
import { DEV_ADMIN_PASSWORD } from '../../src/config';
import { AppError } from '../../src/errors';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
const operator = `Basic ${Buffer.from(`admin:${DEV_ADMIN_PASSWORD}`).toString('base64')}`;
let queue: Queue;

/** An operator ends the campaign and resets it (a rehearsal's end); the reset's answer. */
async function endAndReset(campaignId: string): Promise<Record<string, unknown>> {
  await h.saveCampaign(campaignId, { endsAt: new Date(Date.now() - 1_000) });
  const reset = await h.http
    .post(`/admin/campaigns/${campaignId}/reset`)
    .set('authorization', operator)
    .set('content-type', 'application/json');
  return reset.body as Record<string, unknown>;
}

beforeAll(async () => {
  h = await startHarness();
  await h.registerUsers(3);
  queue = h.api.queues.voucherIssue;
});
afterAll(async () => {
  await h?.close();
});

// Each test's workers stop with it: a job is taken only by the worker the test set up.
const running: RunningWorkers[] = [];
const startWorker = async (...args: Parameters<Harness['startWorker']>) => {
  const started = await h.startWorker(...args);
  running.push(started);
  return started;
};
afterEach(async () => {
  for (const workers of running.splice(0)) await workers.close();
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
  await startWorker({
    issueVoucher: new IssueVoucher(h.api.stores.winners, h.api.stores.campaigns, flaky, systemClock),
  });

  const { body } = await h.login('user1', undefined, 'flaky');
  expect(body.campaigns?.[0]?.outcome).toBe('won');
  await h.drainQueue();

  const job = await queue.getJob(voucherJobIdFor('flaky', body.userId as string, 0));
  expect(job?.attemptsMade).toBe(3);
  expect(await job?.getState()).toBe('completed');
  expect(flaky.calls).toBe(3);
  expect(await h.api.mongo.db.collection(COLLECTIONS.vouchers).countDocuments({ campaignId: 'flaky' })).toBe(1);
});

test('running the same voucher job again writes no second voucher', async () => {
  await h.saveCampaign('twice', { limit: 5 });
  await startWorker();
  const { body } = await h.login('user2', undefined, 'twice');
  await h.drainQueue();
  const jobId = voucherJobIdFor('twice', body.userId as string, 0);
  const job = await queue.getJob(jobId);
  expect(job?.returnvalue).toBe('created');

  // A second delivery of the same request (as after a lost acknowledgement) finds the voucher there.
  await job?.remove();
  await queue.add('issue', { campaignId: 'twice', userId: body.userId }, { jobId });
  await h.drainQueue();
  expect((await queue.getJob(jobId))?.returnvalue).toBe('exists');
  expect(await h.api.mongo.db.collection(COLLECTIONS.vouchers).countDocuments({ campaignId: 'twice' })).toBe(1);
});

test('a campaign reset while its voucher job runs leaves no voucher behind', async () => {
  await h.saveCampaign('resetrace', { limit: 5 });
  // The job has read its winner and waits to write; the reset deletes winners and vouchers meanwhile.
  let writing!: () => void;
  const aboutToWrite = new Promise<void>((r) => (writing = r));
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const store = h.api.stores.vouchers;
  const held = Object.assign(Object.create(store) as VoucherStore, {
    insert: async (voucher: Parameters<VoucherStore['insert']>[0]) => {
      writing();
      await released;
      return store.insert(voucher);
    },
  });
  await startWorker({
    issueVoucher: new IssueVoucher(h.api.stores.winners, h.api.stores.campaigns, held, systemClock),
  });
  const { body } = await h.login('user3', undefined, 'resetrace');
  expect(body.campaigns?.[0]?.outcome).toBe('won');
  await aboutToWrite;

  await h.saveCampaign('resetrace', { startsAt: new Date(Date.now() - 60_000), endsAt: new Date(Date.now() - 1_000) });
  const reset = await h.http
    .post('/admin/campaigns/resetrace/reset')
    .set('authorization', operator)
    .set('content-type', 'application/json');
  expect(reset.body).toMatchObject({ status: true, deleted: { winners: 1, vouchers: 0 } });
  release();
  await h.drainQueue();

  const job = await queue.getJob(voucherJobIdFor('resetrace', body.userId as string, 0));
  expect(job?.failedReason).toMatch(/WINNER_NOT_FOUND/);
  expect(await h.api.mongo.db.collection(COLLECTIONS.vouchers).countDocuments({ campaignId: 'resetrace' })).toBe(0);
});

test('a winner of the rehearsal who wins again after the reset gets the new run’s voucher from its own job', async () => {
  await startWorker(); // the voucher worker alone: no reconciliation runs in this test
  await h.saveCampaign('rerun', { startsAt: new Date(Date.now() - 60_000), limit: 2 });
  const first = await h.login('user1', undefined, 'rerun');
  expect(first.body.campaigns?.[0]).toMatchObject({ outcome: 'won', slot: 1 });
  await h.drainQueue();
  const vouchers = () => h.api.mongo.db.collection(COLLECTIONS.vouchers).find({ campaignId: 'rerun' }).toArray();
  expect(await vouchers()).toHaveLength(1);

  expect(await endAndReset('rerun')).toMatchObject({ status: true, deleted: { winners: 1, vouchers: 1 } });
  await h.saveCampaign('rerun', { endsAt: null });

  const again = await h.login('user1', undefined, 'rerun');
  expect(again.body.campaigns?.[0]).toMatchObject({ outcome: 'won', slot: 1 });
  await h.drainQueue();
  // The first run's job is finished and kept (a day); the new run's is a job of its own, and it ran.
  expect(await vouchers()).toMatchObject([{ userId: first.body.userId }]);
  const userId = first.body.userId as string;
  expect(await (await queue.getJob(voucherJobIdFor('rerun', userId, 0)))?.getState()).toBe('completed');
  expect(await (await queue.getJob(voucherJobIdFor('rerun', userId, 1)))?.getState()).toBe('completed');
});

test('a job for someone who did not win fails for good, without retries', async () => {
  await startWorker();
  const jobId = voucherJobIdFor('twice', 'not-a-winner', 0);
  await queue.add('issue', { campaignId: 'twice', userId: 'not-a-winner' }, { jobId, attempts: 5, backoff: 10 });
  await h.drainQueue();
  const job = await queue.getJob(jobId);
  expect(await job?.getState()).toBe('failed');
  expect(job?.attemptsMade).toBe(1);
  expect(job?.failedReason).toMatch(/WINNER_NOT_FOUND/);
  expect(await h.api.mongo.db.collection(COLLECTIONS.vouchers).countDocuments({ userId: 'not-a-winner' })).toBe(0);
});

/**
 * A voucher queue of its own with one worker over `issueVoucher` (the harness's workers must not take its
 * jobs): runs `body` with the queue and a wait for a job to finish, then removes both.
 */
async function withOwnQueue(
  name: string,
  issueVoucher: IssueVoucher,
  logger: Logger,
  backoffMaxMs: number,
  body: (queue: Queue, finished: (jobId: string) => Promise<Job | undefined>) => Promise<void>,
): Promise<void> {
  const prefix = `${h.config.queue.prefix}-${name}`;
  const connection = createQueueRedis(h.config.redis, `${name}-test`);
  const own = new Queue(QUEUE_NAMES.voucherIssue, { connection, prefix });
  const worker = startVoucherIssueWorker(issueVoucher, logger, { connection, prefix, concurrency: 1, backoffMaxMs });
  const finished = async (jobId: string) => {
    const deadline = Date.now() + 15_000;
    while ((await own.getJob(jobId))?.finishedOn === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    return own.getJob(jobId);
  };
  try {
    await body(own, finished);
  } finally {
    await worker.close();
    await own.obliterate({ force: true });
    await own.close();
    connection.disconnect();
  }
}

test('a failure that will be retried is logged as a retry; the last one as final, once', async () => {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const recording: Logger = {
    info: (fields, msg) => lines.push({ level: 'info', msg, fields }),
    warn: (fields, msg) => lines.push({ level: 'warn', msg, fields }),
    error: (fields, msg) => lines.push({ level: 'error', msg, fields }),
  };
  const failing = {
    execute: async () => {
      throw new Error('database unreachable');
    },
  } as unknown as IssueVoucher;
  await withOwnQueue('final', failing, recording, 10, async (own, finished) => {
    await own.add('issue', { campaignId: 'c', userId: 'u' }, { jobId: 'final-1', attempts: 3, backoff: 10 });
    expect(await (await finished('final-1'))?.getState()).toBe('failed');
    await new Promise((r) => setTimeout(r, 100)); // the failed event follows the state change
    const retries = lines.filter((line) => line.msg === 'voucher job failed; will retry');
    expect(retries.map((line) => [line.level, line.fields.attempt])).toEqual([
      ['warn', 1],
      ['warn', 2],
    ]);
    const final = lines.filter((line) => line.msg.startsWith('voucher job failed for good'));
    expect(final.map((line) => [line.level, line.fields.attempts])).toEqual([['error', 3]]);
  });
});

test('a job with no winner behind it is dropped with a warning, not logged as a delivery failed for good', async () => {
  const lines: { level: string; msg: string }[] = [];
  const recording: Logger = {
    info: (_fields, msg) => lines.push({ level: 'info', msg }),
    warn: (_fields, msg) => lines.push({ level: 'warn', msg }),
    error: (_fields, msg) => lines.push({ level: 'error', msg }),
  };
  const noWinner = {
    execute: async () => {
      throw new AppError('WINNER_NOT_FOUND');
    },
  } as unknown as IssueVoucher;
  await withOwnQueue('dropped', noWinner, recording, 10, async (own, finished) => {
    await own.add('issue', { campaignId: 'c', userId: 'u', run: 0 }, { jobId: 'dropped-1', attempts: 3, backoff: 10 });
    const job = await finished('dropped-1');
    expect(await job?.getState()).toBe('failed');
    expect(job?.attemptsMade).toBe(1);
    await new Promise((r) => setTimeout(r, 100)); // the failed event follows the state change
    expect(lines.filter((line) => line.level !== 'info')).toEqual([
      { level: 'warn', msg: 'voucher job dropped: no winner record for it (a reset or an ended run removed it)' },
    ]);
  });
});

test('a job retries with the capped backoff the queue asks for, and finishes once the database is back', async () => {
  let calls = 0;
  const flaky = {
    execute: async () => {
      calls += 1;
      if (calls <= 3) throw new Error('database unreachable');
      return 'issued';
    },
  } as unknown as IssueVoucher;
  await withOwnQueue('capped', flaky, silentLogger, 20, async (own, finished) => {
    // The options every voucher request gets (BullmqVoucherQueue): the workers' own strategy type.
    await own.add(
      'issue',
      { campaignId: 'c', userId: 'u' },
      { ...voucherJobOptions({ attempts: 5, backoffMs: 10 }), jobId: 'capped-1' },
    );
    const job = await finished('capped-1');
    expect(job?.opts.backoff).toEqual({ type: CAPPED_EXPONENTIAL, delay: 10 });
    expect(await job?.getState()).toBe('completed');
    expect(calls).toBe(4);
  });
});

test('a job that failed for good and is re-delivered gets all its tries again', async () => {
  let calls = 0;
  const failing = {
    execute: async () => {
      calls += 1;
      throw new Error('database unreachable');
    },
  } as unknown as IssueVoucher;
  await withOwnQueue('redeliver', failing, silentLogger, 10, async (own, finished) => {
    const vouchers = new BullmqVoucherQueue(own, { attempts: 3, backoffMs: 10 });
    await vouchers.requestIssue('c', 'u', 0);
    const jobId = voucherJobIdFor('c', 'u', 0);
    expect(await (await finished(jobId))?.getState()).toBe('failed');
    expect(calls).toBe(3);

    expect(await vouchers.redeliver('c', 'u', 0, async () => false)).toBe('retried');
    const deadline = Date.now() + 15_000;
    while (calls < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const again = await finished(jobId);
    expect(await again?.getState()).toBe('failed');
    expect(calls).toBe(6); // three more tries, not one
    expect(again?.attemptsMade).toBe(3);
  });
});

/** The real stores, each call of the voucher job's noted in `calls` ('winners.find', 'vouchers.insert', ...). */
function noting(calls: string[]): IssueVoucher {
  const { winners, campaigns, vouchers } = h.api.stores;
  const note = <T extends object>(store: T, name: string, methods: (keyof T & string)[]): T => {
    const noted = Object.create(store) as T;
    for (const method of methods) {
      const real = (store[method] as (...args: unknown[]) => unknown).bind(store);
      Object.assign(noted, {
        [method]: (...args: unknown[]) => {
          calls.push(`${name}.${method}`);
          return real(...args);
        },
      });
    }
    return noted;
  };
  return new IssueVoucher(
    note(winners, 'winners', ['find']),
    note(campaigns, 'campaigns', ['findById']),
    note(vouchers, 'vouchers', ['insert', 'deleteOne']),
    systemClock,
  );
}

/** The user's stored voucher, as a login answer shows one. */
async function storedVoucher(campaignId: string, userId: string) {
  const stored = await h.api.mongo.db.collection(COLLECTIONS.vouchers).findOne({ campaignId, userId });
  return stored === null
    ? null
    : {
        code: stored.code,
        discount: stored.discount,
        voucherType: stored.voucherType,
        description: stored.description,
        expireDate: (stored.expireDate as Date).toISOString(),
      };
}

test('a winner’s job carries the voucher the login answered with, and writes exactly it after the terms changed', async () => {
  await h.saveCampaign('told', { limit: 5, discount: 30 });
  const { body } = await h.login('user1', undefined, 'told');
  const answered = body.campaigns?.[0];
  expect(answered).toMatchObject({ outcome: 'won', voucher: { discount: 30 } });
  // The operator changes the terms while the job waits (no worker yet).
  await h.saveCampaign('told', { discount: 55, description: 'changed after the win' });
  const calls: string[] = [];
  await startWorker({ issueVoucher: noting(calls) });
  await h.drainQueue();

  const userId = body.userId as string;
  const job = await queue.getJob(voucherJobIdFor('told', userId, 0));
  expect(job?.returnvalue).toBe('created');
  expect(job?.data.told).toMatchObject({ code: answered?.voucher?.code, discount: 30 });
  // The winner and the campaign are read before the write, and again after it.
  expect(calls.slice(0, 2).sort()).toEqual(['campaigns.findById', 'winners.find']);
  expect(calls[2]).toBe('vouchers.insert');
  expect(await storedVoucher('told', userId)).toEqual(answered?.voucher);
});

test('a job of a run a reset ended writes nothing for the same user’s winner of the next run', async () => {
  // No worker until both runs' jobs are queued: the old run's job runs after the user won again.
  await h.saveCampaign('superseded', { startsAt: new Date(Date.now() - 60_000), limit: 2, discount: 30 });
  const first = await h.login('user1', undefined, 'superseded');
  expect(first.body.campaigns?.[0]).toMatchObject({ outcome: 'won', slot: 1 });
  expect(await endAndReset('superseded')).toMatchObject({ status: true });
  await h.saveCampaign('superseded', { endsAt: null });
  const again = await h.login('user1', undefined, 'superseded');
  const told = again.body.campaigns?.[0];
  expect(told).toMatchObject({ outcome: 'won', slot: 1 });
  await h.saveCampaign('superseded', { discount: 77 });

  await startWorker();
  await h.drainQueue();
  const userId = first.body.userId as string;
  expect((await queue.getJob(voucherJobIdFor('superseded', userId, 0)))?.returnvalue).toBe('superseded');
  expect((await queue.getJob(voucherJobIdFor('superseded', userId, 1)))?.returnvalue).toBe('created');
  expect(await storedVoucher('superseded', userId)).toEqual(told?.voucher);
});

test('a voucher with other terms found where the told one belongs is replaced by it', async () => {
  await h.saveCampaign('told-stale', { limit: 5, discount: 30 });
  const { body } = await h.login('user2', undefined, 'told-stale');
  const answered = body.campaigns?.[0];
  expect(answered?.outcome).toBe('won');
  const userId = body.userId as string;
  // What a job of an ended run leaves when it stops between its write and its check: the same code, its
  // own run's expiry and terms.
  await h.api.mongo.db.collection(COLLECTIONS.vouchers).insertOne({
    code: answered?.voucher?.code,
    userId,
    campaignId: 'told-stale',
    discount: 10,
    description: 'the rehearsal’s voucher',
    voucherType: 'MOBILE_TOPUP_BANK_TRANSFER',
    expireDate: new Date('2026-12-31T00:00:00.000Z'),
    createdAt: new Date(),
  });
  await startWorker();
  await h.drainQueue();
  expect((await queue.getJob(voucherJobIdFor('told-stale', userId, 0)))?.returnvalue).toBe('created');
  expect(await storedVoucher('told-stale', userId)).toEqual(answered?.voucher);
  expect(await h.api.mongo.db.collection(COLLECTIONS.vouchers).countDocuments({ campaignId: 'told-stale' })).toBe(1);
});

test('a told voucher that is not the winner record’s is replaced by the record’s', async () => {
  await h.saveCampaign('told-other', { limit: 5, discount: 30 });
  await startWorker();
  const { body } = await h.login('user2', undefined, 'told-other');
  expect(body.campaigns?.[0]?.outcome).toBe('won');
  await h.drainQueue();
  const userId = body.userId as string;
  const vouchers = h.api.mongo.db.collection(COLLECTIONS.vouchers);
  const recorded = await vouchers.findOne({ campaignId: 'told-other', userId });
  await vouchers.deleteMany({ campaignId: 'told-other' });

  // A job telling other terms, for a time won that is not the record's.
  const told = body.campaigns?.[0]?.voucher as { code: string; expireDate: string };
  const jobId = 'told-other-1';
  await queue.add(
    'issue',
    {
      campaignId: 'told-other',
      userId,
      run: 0,
      told: {
        ...told,
        discount: 99,
        description: 'not the terms',
        voucherType: 'other',
        wonAt: new Date(0).toISOString(),
      },
    },
    { jobId },
  );
  await h.drainQueue();
  expect((await queue.getJob(jobId))?.returnvalue).toBe('created');
  const written = await vouchers.find({ campaignId: 'told-other' }).toArray();
  expect(written).toHaveLength(1);
  expect(written[0]).toMatchObject({
    discount: 30,
    description: recorded?.description,
    expireDate: recorded?.expireDate,
  });
});

test('a told voucher for someone who did not win is never written, and the job fails for good', async () => {
  await h.saveCampaign('told-nobody', { limit: 5 });
  const calls: string[] = [];
  await startWorker({ issueVoucher: noting(calls) });
  const jobId = voucherJobIdFor('told-nobody', 'not-a-winner', 0);
  const told = {
    code: 'PV-0000-0000-0000-0000',
    discount: 30,
    description: 'a forged told voucher',
    voucherType: 'MOBILE_TOPUP_BANK_TRANSFER',
    expireDate: new Date(Date.now() + 86_400_000).toISOString(),
    wonAt: new Date().toISOString(),
  };
  await queue.add('issue', { campaignId: 'told-nobody', userId: 'not-a-winner', run: 0, told }, { jobId, attempts: 5 });
  await h.drainQueue();
  const job = await queue.getJob(jobId);
  expect(await job?.getState()).toBe('failed');
  expect(job?.failedReason).toMatch(/WINNER_NOT_FOUND/);
  expect(calls).not.toContain('vouchers.insert');
  expect(await h.api.mongo.db.collection(COLLECTIONS.vouchers).countDocuments({ campaignId: 'told-nobody' })).toBe(0);
});

test('a job of an ended run that found no winner, and deletes only later, leaves the next run’s voucher alone', async () => {
  await h.saveCampaign('late-delete', { startsAt: new Date(Date.now() - 60_000), limit: 2 });
  const first = await h.login('user3', undefined, 'late-delete');
  expect(first.body.campaigns?.[0]).toMatchObject({ outcome: 'won' });
  expect(await endAndReset('late-delete')).toMatchObject({ status: true });

  // The old run's job reads no winner, and its delete is held (a worker frozen there) ...
  const store = h.api.stores.vouchers;
  let deleting!: () => void;
  const aboutToDelete = new Promise<void>((r) => (deleting = r));
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const held = Object.assign(Object.create(store) as VoucherStore, {
    deleteOne: async (...args: Parameters<VoucherStore['deleteOne']>) => {
      deleting();
      await released;
      return store.deleteOne(...args);
    },
  });
  await startWorker({
    issueVoucher: new IssueVoucher(h.api.stores.winners, h.api.stores.campaigns, held, systemClock),
  });
  await aboutToDelete;
  // ... while the user wins the next run and that run's job writes their voucher.
  await h.saveCampaign('late-delete', { endsAt: null });
  const again = await h.login('user3', undefined, 'late-delete');
  expect(again.body.campaigns?.[0]).toMatchObject({ outcome: 'won' });
  const userId = first.body.userId as string;
  const deadline = Date.now() + 15_000;
  while ((await storedVoucher('late-delete', userId)) === null && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(await storedVoucher('late-delete', userId)).toEqual(again.body.campaigns?.[0]?.voucher);

  release();
  await h.drainQueue();
  expect((await queue.getJob(voucherJobIdFor('late-delete', userId, 0)))?.failedReason).toMatch(/WINNER_NOT_FOUND/);
  expect(await storedVoucher('late-delete', userId)).toEqual(again.body.campaigns?.[0]?.voucher);
});

test('a winner logging in again after the terms changed is shown the voucher stored, not the terms now', async () => {
  await h.saveCampaign('shown', { limit: 5, discount: 30 });
  await startWorker();
  const { body } = await h.login('user1', undefined, 'shown');
  expect(body.campaigns?.[0]).toMatchObject({ outcome: 'won', voucher: { discount: 30 } });
  await h.drainQueue();
  await h.saveCampaign('shown', { discount: 55, description: 'changed after the voucher was written' });

  const again = await h.login('user1', undefined, 'shown');
  expect(again.body.campaigns?.[0]?.outcome).toBe('already_won');
  const userId = body.userId as string;
  await h.drainQueue();
  expect(again.body.campaigns?.[0]?.voucher).toEqual(await storedVoucher('shown', userId));
  expect(again.body.campaigns?.[0]?.voucher).toEqual(body.campaigns?.[0]?.voucher);
});
