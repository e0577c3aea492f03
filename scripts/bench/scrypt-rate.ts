import cluster from 'node:cluster';
import { randomBytes, scrypt } from 'node:crypto';

/**
 * Row 4's yardstick: raw scrypt derivations per second with the service's parameters, in as many
 * processes as the API runs, each keeping BENCH_CONCURRENCY derivations in flight (as the API's hashing
 * gate allows), for BENCH_SECONDS. Prints the total as one JSON line, with the cores its processes used. As the password path's own measure
 * (politeRun in load.ts), time counts until the last derivation ends: one started before the deadline is
 * counted, and so is the time it takes past it (counting it over BENCH_SECONDS alone flattered this side by
 * up to one derivation per place in flight, some 4% of the row).
 */
const processes = Number(process.env.BENCH_PROCESSES ?? 1);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 2);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const logN = Number(process.env.BENCH_LOG_N ?? 15);
const N = 2 ** logN;

async function measure(): Promise<{ count: number; ms: number; cpuMicros: number }> {
  const started = Date.now();
  const deadline = started + seconds * 1000;
  let done = 0;
  const loop = async (): Promise<void> => {
    while (Date.now() < deadline) {
      await new Promise<void>((resolve, reject) =>
        scrypt('bench-password', randomBytes(16), 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 }, (error) =>
          error ? reject(error) : resolve(),
        ),
      );
      done += 1;
    }
  };
  const cpuBefore = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const cpu = process.cpuUsage(cpuBefore);
  return { count: done, ms: Date.now() - started, cpuMicros: cpu.user + cpu.system };
}

if (cluster.isPrimary) {
  let total = 0;
  let longestMs = 0;
  let cpuMicros = 0;
  let finished = 0;
  for (let i = 0; i < processes; i += 1) {
    cluster.fork().on('message', (result: { count: number; ms: number; cpuMicros: number }) => {
      const { count, ms } = result;
      total += count;
      cpuMicros += result.cpuMicros;
      longestMs = Math.max(longestMs, ms);
      finished += 1;
      if (finished === processes) {
        const elapsed = longestMs / 1000;
        process.stdout.write(
          `${JSON.stringify({ opsPerSec: total / elapsed, derivations: total, seconds: elapsed, cores: cpuMicros / 1e6 / elapsed })}\n`,
        );
        process.exit(0);
      }
    });
  }
} else {
  measure().then(
    (result) => process.send?.(result),
    () => process.exit(1),
  );
}
