import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { campaignKeys } from '../../src/adapters/redis/keys';
import { startFaultRig, type FaultRig } from '../support/fault-rig';
import { burstWithFault, checkPromises, counterReaches, settle } from '../support/invariants';

/**
 * Redis loses data mid-burst, three ways. In every case: claims fail closed (503) while the counter is
 * missing, reconciliation rebuilds it from MongoDB, and the campaign ends with exactly `limit` winners, each
 * with one voucher, and every "won" answer a recorded winner.
 */
const LIMIT = 40;
const USERS = 150;
let rig: FaultRig;

afterEach(async () => {
  await rig?.close();
});

/** The campaign's counter key in the rig's Redis. */
const counterKey = () => campaignKeys(rig.config.redis.keyPrefix, 'c').counter;

async function prepare(aof = false): Promise<string[]> {
  rig = await startFaultRig({ aof });
  const accounts = await rig.registerUsers(USERS);
  await rig.saveCampaign('c', { limit: LIMIT });
  await rig.startWorkers();
  return accounts;
}

test('FLUSHALL mid-burst', async () => {
  const accounts = await prepare();
  const answers = await burstWithFault(rig, 'c', accounts, async () => {
    await counterReaches(rig, 'c', 15);
    await rig.api.redis.flushall();
  });
  expect(answers.some((a) => a.status === 503)).toBe(true); // claims were closed for a while
  await settle(rig, 'c', LIMIT, accounts, answers);
  const outcome = await checkPromises(rig, 'c', LIMIT, USERS, answers);
  expect(outcome.violations).toEqual([]);
});

test('Redis killed and restarted empty mid-burst', async () => {
  const accounts = await prepare();
  const answers = await burstWithFault(rig, 'c', accounts, async () => {
    await counterReaches(rig, 'c', 15);
    await rig.redis.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    await rig.redis.restart();
  });
  await settle(rig, 'c', LIMIT, accounts, answers);
  const outcome = await checkPromises(rig, 'c', LIMIT, USERS, answers);
  expect(outcome.violations).toEqual([]);
});

test('Redis restarted from an append-only file one second old (stale counter, lost slot map)', async () => {
  const accounts = await prepare(true);
  const snapshot = join(rig.redis.dir, 'aof-one-second-ago');
  let staleCounter = 0;
  let crashCounter = 0;
  const answers = await burstWithFault(rig, 'c', accounts, async () => {
    await counterReaches(rig, 'c', 10);
    // Copy the AOF as it stands (what survives when the last second is lost), go on a second, crash.
    cpSync(join(rig.redis.dir, 'appendonlydir'), snapshot, { recursive: true });
    staleCounter = Number(await rig.api.redis.get(counterKey()));
    await new Promise((r) => setTimeout(r, 1_000));
    crashCounter = Number(await rig.api.redis.get(counterKey()));
    await rig.redis.stop('SIGKILL');
    rmSync(join(rig.redis.dir, 'appendonlydir'), { recursive: true });
    cpSync(snapshot, join(rig.redis.dir, 'appendonlydir'), { recursive: true });
    await rig.redis.restart();
  });
  const restoredCounter = Number(await rig.api.redis.get(counterKey()));
  expect(restoredCounter).toBeGreaterThanOrEqual(staleCounter); // the counter went back no further than the copy
  expect(staleCounter).toBeLessThan(crashCounter); // but it did go back: slots were handed out a second time
  await settle(rig, 'c', LIMIT, accounts, answers);
  const outcome = await checkPromises(rig, 'c', LIMIT, USERS, answers);
  expect(outcome.violations).toEqual([]);
});
