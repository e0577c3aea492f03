import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { z } from 'zod';

import { loadConfig } from '../../src/config';
import { freePort, startFerretDb, startRedisServer, type LocalService } from '../lib/local-services';
import { parseCli, runCli } from '../lib/cli';
import { seed } from '../seed';
import {
  benchApiEnv,
  build,
  built,
  childPids,
  children,
  load,
  log,
  median,
  quiet,
  runJson,
  start,
  stop,
  waitFor,
} from './harness';

const HELP = `usage: npm run bench:password -- [--rounds 3] [--seconds 10] [--connections 50] [--cpu-prof <dir>]

Row 4 of npm run bench alone, and where its CPU goes. Builds dist/, starts its own Redis (AOF) and
FerretDB, 200 password users on a sold-out campaign and the API as 2 processes (node:cluster) with the
bench's settings. Each round measures raw scrypt at the service's cost (as row 4's yardstick: 2
processes, as many derivations in flight as the hashing gate allows), then --seconds of password logins at
--connections from clients that honour Retry-After, each after the machine is quiet. It prints, per
round, both rates and their ratio, and the cores each part used during the logins: the API processes'
main threads, their other threads (libuv's pool, where scrypt runs, and V8's helpers), Redis, FerretDB
and PostgreSQL; then the median ratio. With --cpu-prof the API runs under node --cpu-prof and writes its
main threads' profiles to <dir> when it stops.`;

const argsSchema = z.object({
  rounds: z.coerce.number().int().min(1).max(20).default(3),
  seconds: z.coerce.number().int().min(2).max(120).default(10),
  connections: z.coerce.number().int().min(1).max(1_000).default(50),
  'cpu-prof': z.string().min(1).optional(),
});

const PASSWORD = 'bench-password-123';
const USERS = 200;

/** CPU clock ticks (1/100 s) a thread or process has used, from its stat line: utime + stime. */
function ticksOf(statPath: string): number {
  try {
    const fields = readFileSync(statPath, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0; // it has exited
  }
}

/** Ticks of a process's main thread and of all its other threads. */
function threadTicks(pid: number): { main: number; others: number } {
  let main = 0;
  let others = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const ticks = ticksOf(`/proc/${pid}/task/${tid}/stat`);
      if (Number(tid) === pid) main += ticks;
      else others += ticks;
    }
  } catch {
    // it has exited
  }
  return { main, others };
}

const pidsOf = (pattern: string): number[] =>
  spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' })
    .stdout.split('\n')
    .map(Number)
    .filter((pid) => pid > 0);

/** Ticks so far of each part of the password path. */
function cpuParts(apiPids: readonly number[], services: Record<string, readonly number[]>): Record<string, number> {
  const threads = apiPids.map(threadTicks);
  return {
    'API main threads': threads.reduce((sum, t) => sum + t.main, 0),
    'API other threads': threads.reduce((sum, t) => sum + t.others, 0),
    ...Object.fromEntries(
      Object.entries(services).map(([name, pids]) => [
        name,
        pids.reduce((sum, pid) => sum + ticksOf(`/proc/${pid}/stat`), 0),
      ]),
    ),
  };
}

runCli(async () => {
  const args = parseCli(
    process.argv.slice(2),
    {
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      connections: { type: 'string' },
      'cpu-prof': { type: 'string' },
    },
    argsSchema,
    HELP,
  );
  if (args === null) return;
  const services: LocalService[] = [];
  const work = mkdtempSync(join(tmpdir(), 'password-path-'));
  let api: ChildProcess | undefined;
  try {
    const redis = await startRedisServer({ appendOnly: true });
    services.push(redis);
    const ferret = await startFerretDb();
    services.push(ferret);
    const mongoUrl = new URL(ferret.url);
    mongoUrl.pathname = '/password_path';
    const port = await freePort();
    const env = benchApiEnv(
      { mongo: mongoUrl.toString(), redis: redis.url },
      port,
      2,
      'password-path-bench-secret-0123456789abcdef',
    );
    const config = loadConfig(env);
    log('building: npm run build ...');
    build();
    log(`seeding: a sold-out campaign, ${USERS} password users (scrypt N=2^${config.passwordHash.logN}) ...`);
    await seed({ campaign: 'password-path', limit: 1, users: USERS, password: PASSWORD, prefix: 'benchuser' }, config);
    const bodies = Array.from({ length: USERS }, (_, i) =>
      JSON.stringify({ account: `benchuser${i + 1}`, password: PASSWORD, campaignId: 'password-path' }),
    );
    const bodiesFile = join(work, 'bodies.txt');
    writeFileSync(bodiesFile, bodies.join('\n'));
    const profileDir = args['cpu-prof'];
    api =
      profileDir === undefined
        ? start('src/cluster.ts', env, 'api')
        : spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, built('src/cluster.ts')], {
            env: { ...process.env, ...env },
            stdio: 'ignore',
          });
    await waitFor(`http://127.0.0.1:${port}/ready`);
    const apiPids = childPids(api.pid as number);
    const servicePids = { Redis: pidsOf('redis-server'), FerretDB: pidsOf('ferretdb'), PostgreSQL: pidsOf('postgres') };

    const ratios: number[] = [];
    for (let round = 1; round <= args.rounds; round += 1) {
      await quiet();
      const scrypt = runJson('scripts/bench/scrypt-rate.ts', {
        BENCH_PROCESSES: '2',
        BENCH_CONCURRENCY: String(config.passwordHash.maxConcurrent),
        BENCH_SECONDS: String(args.seconds),
        BENCH_LOG_N: String(config.passwordHash.logN),
      });
      await quiet();
      const before = cpuParts(apiPids, servicePids);
      const startedAt = Date.now();
      const logins = await load({
        url: `http://127.0.0.1:${port}/api/login-campaign`,
        connections: args.connections,
        durationSeconds: args.seconds,
        body: bodies[0] as string,
        bodiesFile,
        distinctAddresses: true,
        honourRetryAfter: true,
      });
      const wallSeconds = (Date.now() - startedAt) / 1000;
      const after = cpuParts(apiPids, servicePids);
      const answered = logins.statusCodes['200']?.count ?? 0;
      const rate = answered / logins.seconds;
      const ratio = rate / (scrypt.opsPerSec ?? NaN);
      ratios.push(ratio);
      const cores = Object.entries(after)
        .map(([part, ticks]) => `${part} ${((ticks - (before[part] ?? 0)) / 100 / wallSeconds).toFixed(2)}`)
        .join(', ');
      log(
        `round ${round}: raw scrypt ${scrypt.opsPerSec?.toFixed(2)}/s, password logins ${rate.toFixed(2)}/s ` +
          `(${answered} in ${logins.seconds.toFixed(1)} s; answers ${JSON.stringify(logins.statusCodes)}): ratio ${ratio.toFixed(3)}`,
      );
      log(`  raw scrypt used ${scrypt.cores?.toFixed(2)} cores (its processes, all threads)`);
      log(`  cores used during the logins (${wallSeconds.toFixed(1)} s): ${cores}`);
    }
    log(
      `median ratio over ${args.rounds} rounds: ${median(ratios).toFixed(3)} [${Math.min(...ratios).toFixed(3)} - ${Math.max(...ratios).toFixed(3)}]`,
    );
  } finally {
    if (api !== undefined) await stop(api);
    for (const child of children) await stop(child);
    for (const service of services) await service.remove();
    rmSync(work, { recursive: true, force: true });
  }
});
