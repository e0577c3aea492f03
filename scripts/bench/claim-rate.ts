import { randomBytes, randomUUID } from 'node:crypto';

import { Redis } from 'ioredis';

import { campaignKeys } from '../../src/adapters/redis/keys';
import { RedisSlotCounter } from '../../src/adapters/redis/redis-slot-counter';
import { runCli } from '../lib/cli';

/**
 * The capacity model's input: what one campaign's claims cost the one Redis shard that holds its keys.
 * BENCH_CLIENTS connections each keep BENCH_IN_FLIGHT claim scripts in flight for BENCH_SECONDS, first
 * against a campaign with room for everyone (every claim wins: counter, slot map, holder), then against a
 * sold-out one. Redis's own CPU time (INFO cpu) over each phase gives microseconds of Redis per claim,
 * hence the ceiling of one shard (single-threaded) for one campaign; MEMORY USAGE of the slot map gives
 * the Redis memory a winner costs. Prints one JSON line.
 */
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const clients = Number(process.env.BENCH_CLIENTS ?? 4);
const inFlight = Number(process.env.BENCH_IN_FLIGHT ?? 32);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}

async function phase(counters: RedisSlotCounter[], admin: Redis, campaignId: string) {
  const cpuBefore = await redisCpuSeconds(admin);
  const started = Date.now();
  const deadline = started + seconds * 1_000;
  let claims = 0;
  const outcomes = new Map<string, number>();
  await Promise.all(
    counters.flatMap((counter) =>
      Array.from({ length: inFlight }, async () => {
        while (Date.now() < deadline) {
          const claim = await counter.claim(campaignId, randomUUID()); // userIds are UUIDs
          claims += 1;
          outcomes.set(claim.kind, (outcomes.get(claim.kind) ?? 0) + 1);
        }
      }),
    ),
  );
  const wallSeconds = (Date.now() - started) / 1_000;
  const redisSeconds = (await redisCpuSeconds(admin)) - cpuBefore;
  return {
    claimsPerSec: claims / wallSeconds,
    redisCpuMicrosPerClaim: (redisSeconds * 1e6) / claims,
    redisCpuShare: redisSeconds / wallSeconds,
    outcomes: Object.fromEntries(outcomes),
  };
}

async function main(): Promise<void> {
  const prefix = `claimrate${randomBytes(3).toString('hex')}`;
  const admin = new Redis(redisUrl);
  const connections = Array.from({ length: clients }, () => new Redis(redisUrl));
  const counters = connections.map((redis) => new RedisSlotCounter(redis, prefix));
  const [first] = counters as [RedisSlotCounter];
  try {
    const open = { paused: false, version: 1, startsAt: new Date(0), endsAt: null };
    await first.publish('open', { ...open, limit: 10_000_000 }, true);
    await first.publish('soldout', { ...open, limit: 1 }, true);
    await first.claim('soldout', 'the-only-winner');
    const winning = await phase(counters, admin, 'open');
    // Redis memory a winner costs: the slot map (userId -> slot) is the one structure that grows with them.
    const slotMap = campaignKeys(prefix, 'open').slots;
    const holders = await admin.hlen(slotMap);
    const slotMapBytes = Number(await admin.call('MEMORY', 'USAGE', slotMap, 'SAMPLES', '0'));
    const soldOut = await phase(counters, admin, 'soldout');
    const bytesPerWinner = slotMapBytes / holders;
    process.stdout.write(`${JSON.stringify({ winning, soldOut, bytesPerWinner, clients, inFlight, seconds })}\n`);
  } finally {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
      cursor = next;
      if (keys.length > 0) await admin.unlink(...keys);
    } while (cursor !== '0');
    for (const redis of [admin, ...connections]) redis.disconnect();
  }
}

runCli(main);
