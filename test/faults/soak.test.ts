import type { ChildProcess } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { Redis } from 'ioredis';

import { startFaultRig, type Answer, type FaultRig } from '../support/fault-rig';
import { burstWithFault, checkPromises, settle, type Outcomes } from '../support/invariants';

/**
 * Randomized soak: each run is a burst against a fresh campaign with faults fired at random moments, then
 * a settle (reconcile, drain, returning users) and the promises checked. SOAK_RUNS sets the number of runs
 * (3 by default, for CI), SOAK_SEED replays a fault schedule; the summary line names both.
 */
const RUNS = Number(process.env.SOAK_RUNS ?? 3);
const SEED = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** mulberry32: a small seeded generator, so a schedule can be replayed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let rig: FaultRig;
let workers: ChildProcess[] = [];

async function waitForWorkers(count: number): Promise<void> {
  const queue = rig.api.queues.voucherIssue;
  const deadline = Date.now() + 30_000;
  while ((await queue.getWorkers().catch(() => [])).length < count && Date.now() < deadline) await sleep(100);
}

const FAULTS: Record<string, () => Promise<void>> = {
  'redis-flushall': async () => {
    const admin = new Redis(rig.redis.url, { maxRetriesPerRequest: 1 });
    await admin.flushall().finally(() => admin.disconnect());
  },
  'redis-restart-empty': async () => {
    await rig.redis.stop('SIGKILL');
    rmSync(join(rig.redis.dir, 'appendonlydir'), { recursive: true, force: true });
    await rig.redis.restart();
  },
  'redis-stale-aof': async () => {
    const live = join(rig.redis.dir, 'appendonlydir');
    const copy = join(rig.redis.dir, 'aof-copy');
    rmSync(copy, { recursive: true, force: true });
    if (existsSync(live)) cpSync(live, copy, { recursive: true });
    await sleep(1_000);
    await rig.redis.stop('SIGKILL');
    rmSync(live, { recursive: true, force: true });
    if (existsSync(copy)) cpSync(copy, live, { recursive: true });
    await rig.redis.restart();
  },
  'redis-freeze': async () => {
    rig.redis.freeze();
    await sleep(1_500);
    rig.redis.thaw();
  },
  'db-freeze': async () => {
    rig.ferret.freeze();
    await sleep(1_500);
    rig.ferret.thaw();
  },
  'db-restart': async () => {
    await rig.ferret.stop();
    await sleep(1_000);
    await rig.ferret.restart();
  },
  'worker-kill': async () => {
    const victim = workers.shift();
    victim?.kill('SIGKILL');
    workers.push(rig.spawnWorker());
  },
};

beforeAll(async () => {
  rig = await startFaultRig({ aof: true });
  await rig.registerUsers(120);
  workers = [rig.spawnWorker(), rig.spawnWorker()];
  await waitForWorkers(2);
});
afterAll(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  await rig.close();
});

// A run takes about 5 s; allow a minute each.
test(
  `soak: ${RUNS} runs of bursts with random faults keep every promise`,
  async () => {
    const random = generator(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const faultCounts: Record<string, number> = Object.fromEntries(Object.keys(FAULTS).map((k) => [k, 0]));
    const totals = { maxOverLimit: 0, lostWinners: 0, lostSlots: 0, duplicateVouchers: 0, winnersWithoutVoucher: 0 };
    const failures: string[] = [];

    for (let run = 1; run <= RUNS; run += 1) {
      const campaignId = `soak-${run}`;
      const limit = 10 + Math.floor(random() * 31); // 10..40
      const demand = Math.min(120, Math.ceil(limit * (1.5 + random() * 1.5)));
      const accounts = Array.from({ length: demand }, (_, i) => `user${i + 1}`);
      const faults = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(Object.keys(FAULTS)));
      const moments = faults.map(() => Math.floor(random() * 2_500));
      await rig.saveCampaign(campaignId, { limit });

      const answers: Answer[] = await burstWithFault(rig, campaignId, accounts, async () => {
        await Promise.all(
          faults.map(async (fault, i) => {
            await sleep(moments[i] as number);
            faultCounts[fault] = (faultCounts[fault] ?? 0) + 1;
            await (FAULTS[fault] as () => Promise<void>)();
          }),
        );
      });
      await settle(rig, campaignId, limit, accounts, answers, 10);
      const outcome: Outcomes = await checkPromises(rig, campaignId, limit, demand, answers);
      totals.maxOverLimit = Math.max(totals.maxOverLimit, outcome.winners - limit);
      totals.lostWinners += outcome.lostWinners;
      totals.lostSlots += outcome.lostSlots;
      totals.duplicateVouchers += outcome.duplicateVouchers;
      totals.winnersWithoutVoucher += outcome.winnersWithoutVoucher;
      const line = `run ${run}/${RUNS} (limit ${limit}, demand ${demand}, faults ${faults.join('+')} at ${moments.join('/')} ms)`;
      // Straight to stderr: jest holds console output back until the test ends, and this one runs long.
      process.stderr.write(
        `SOAK ${line}: ${outcome.winners} winners, ${outcome.vouchers} vouchers${outcome.violations.length > 0 ? `; BROKEN: ${outcome.violations.join('; ')}` : ''}\n`,
      );
      if (outcome.violations.length > 0) {
        failures.push(`${line}: ${outcome.violations.join('; ')}`);
        break; // the first broken promise is the one to look at; later runs would only pile on
      }
    }

    console.log(
      `SOAK seed=${SEED} runs=${RUNS} faults=${JSON.stringify(faultCounts)} maxWinnersOverLimit=${totals.maxOverLimit} ` +
        `lostWinners=${totals.lostWinners} lostSlots=${totals.lostSlots} duplicateVouchers=${totals.duplicateVouchers} ` +
        `winnersWithoutVoucher=${totals.winnersWithoutVoucher}`,
    );
    expect(failures).toEqual([]);
  },
  RUNS * 60_000,
);
