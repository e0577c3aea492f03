import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { QUEUE_NAMES } from '../../src/adapters/queue/queue-names';
import { startFaultRig, type FaultRig } from '../support/fault-rig';

/**
 * The slot is won but the voucher job cannot be enqueued: here the API's Redis user may touch the campaign
 * keys but not the queue's (a real NOPERM from Redis ACLs). The answer is still "won" (the winner record is
 * durable), and reconciliation, running in the workers, enqueues and issues every voucher.
 */
let rig: FaultRig;

beforeAll(async () => {
  rig = await startFaultRig({
    // The API's Redis user: every command, but only on the campaign keys and channel.
    prepareRedis: async (url) => {
      const admin = new Redis(url);
      await admin.call('ACL', 'SETUSER', 'api', 'on', '>api-secret', '~promo:*', '&promo:*', '+@all');
      admin.disconnect();
    },
    apiEnv: (env) => ({ REDIS_URL: (env.REDIS_URL as string).replace('redis://', 'redis://api:api-secret@') }),
  });
});
afterAll(async () => {
  await rig?.close();
});

test('winners whose enqueue failed get their voucher from reconciliation', async () => {
  const accounts = await rig.registerUsers(20);
  await rig.saveCampaign('c', { limit: 20 });

  const answers = await Promise.all(accounts.map((account) => rig.login(account, 'c')));
  expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
  expect(answers.every((a) => a.body.campaigns?.[0]?.outcome === 'won')).toBe(true);

  const connection = new Redis(rig.redis.url);
  const queue = new Queue(QUEUE_NAMES.voucherIssue, { connection, prefix: rig.config.queue.prefix });
  expect(await queue.count()).toBe(0); // not one job got in
  await rig.startWorkers();
  await rig.drain();
  const deadline = Date.now() + 30_000;
  const vouchers = rig.api.mongo.db.collection(COLLECTIONS.vouchers);
  while ((await vouchers.countDocuments({ campaignId: 'c' })) < 20 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(await vouchers.countDocuments({ campaignId: 'c' })).toBe(20);
  await queue.close();
  connection.disconnect();
});
