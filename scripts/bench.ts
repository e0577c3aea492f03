import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

import { SignJWT } from 'jose';
import { MongoClient } from 'mongodb';
import { z } from 'zod';

import { loadConfig } from '../src/config';
import { PROJECT_ROOT, freePort, startFerretDb, startRedisServer, type LocalService } from './lib/local-services';
import { parseCli, runCli } from './lib/cli';
import { seed } from './seed';

const HELP = `usage: npm run bench [-- --quick] [--users 100000] [--connections 1000] [--limit 100] [--processes N] [--seconds 10]

Measures the service against yardsticks run side by side on this machine, in one run, and prints one
table of ratios (absolute figures on a shared 2-core machine say little; ratios measured together do):
  1  sold-out fast path req/s / bare Koa JSON POST req/s                     goal >= 0.5
  2  a burst of --users distinct users (tokens) at --connections, limit --limit:
     time, req/s, p50/p99/max, non-2xx, and exactly --limit vouchers          goal 0 non-2xx, p99 < 250 ms
  3  the same burst: our req/s / a naive seed-style baseline's req/s          goal >= 3
  4  password-path logins/s / raw scrypt derivations/s (same cost, cores)   goal >= 0.9
  5  winner-to-voucher latency p99 under the burst; peak RSS per API process  goal < 1 s; < 300 MB
  6  the claim script alone: claims/s and Redis CPU per claim, winning and sold out (capacity model input)
  7  one reconcile pass over campaigns of 100 and 20,000 winners, nothing to fix (capacity model input)
It builds dist/ (npm run build), starts its own redis-server and FerretDB (or uses REDIS_URL / MONGO_URL),
the API as --processes processes (node:cluster), one worker, and the yardsticks, all compiled, all on
loopback. Load comes from autocannon in a process of its own. --quick is small enough for CI: it proves
the script works; its numbers mean little.`;

const argsSchema = z.object({
  quick: z.boolean().default(false),
  users: z.coerce.number().int().min(100).max(1_000_000).optional(),
  connections: z.coerce.number().int().min(1).max(10_000).optional(),
  limit: z.coerce.number().int().min(1).default(100),
  processes: z.coerce.number().int().min(1).max(64).default(availableParallelism()),
  seconds: z.coerce.number().int().min(1).max(600).optional(),
});

const JWT_SECRET = randomBytes(32).toString('hex');
const PASSWORD = 'bench-password-123';
const children: ChildProcess[] = [];
const log = (line: string) => process.stdout.write(`${line}\n`);

/** The compiled form of a script under dist/, as production runs it (`npm run build` first). */
function built(script: string): string {
  return join(PROJECT_ROOT, 'dist', script.replace(/\.ts$/, '.js'));
}

function start(script: string, env: Record<string, string>, name: string): ChildProcess {
  const child = spawn(process.execPath, [built(script)], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-2_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('exit', (code, signal) => {
    if (code !== 0 && code !== null && signal === null) process.stderr.write(`${name} exited ${code}: ${tail}\n`);
  });
  children.push(child);
  return child;
}

/** Resolves once `url` answers at all (any status: the server is listening), or after /ready says ready. */
async function waitFor(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const readiness = url.endsWith('/ready');
  while (Date.now() < deadline) {
    try {
      const response = await fetch(
        url,
        readiness ? {} : { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } },
      );
      if (!readiness || response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up within ${timeoutMs} ms`);
}

interface LoadResult {
  requests: number;
  seconds: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, { count: number }>;
}

/** One autocannon run in a process of its own. */
function load(spec: Record<string, unknown>): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [built('scripts/bench/load.ts')], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, BENCH_LOAD: JSON.stringify(spec) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator failed: ${err}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1) as string) as LoadResult);
    });
  });
}

function runJson<T = Record<string, number>>(script: string, env: Record<string, string>): T {
  const result = spawnSync(process.execPath, [built(script)], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`${script} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) as string) as T;
}

/** Peak resident memory (VmHWM) of each process under `parent`, in MB. */
function peakRssOfChildren(parent: number): number[] {
  const pids = spawnSync('ps', ['-o', 'pid=', '--ppid', String(parent)], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((p) => p.trim())
    .filter(Boolean);
  return pids.map((pid) => {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function tokens(count: number, dir: string): Promise<string> {
  const key = new TextEncoder().encode(JWT_SECRET);
  const lines: string[] = [];
  for (let i = 0; i < count; i += 1) {
    lines.push(
      await new SignJWT({ sub: `bench-user-${i}` })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('50m')
        .sign(key),
    );
  }
  const file = join(dir, 'tokens.txt');
  writeFileSync(file, lines.join('\n'));
  return file;
}

runCli(async () => {
  const args = parseCli(
    process.argv.slice(2),
    {
      quick: { type: 'boolean' },
      users: { type: 'string' },
      connections: { type: 'string' },
      limit: { type: 'string' },
      processes: { type: 'string' },
      seconds: { type: 'string' },
    },
    argsSchema,
    HELP,
  );
  if (args === null) return;
  const users = args.users ?? (args.quick ? 2_000 : 100_000);
  const connections = args.connections ?? (args.quick ? 100 : 1_000);
  const seconds = args.seconds ?? (args.quick ? 2 : 10);
  const passwordUsers = args.quick ? 20 : 200;
  const work = mkdtempSync(join(tmpdir(), 'promo-bench-'));
  const services: LocalService[] = [];

  try {
    log(
      `# promotion-service benchmark, ${new Date().toISOString()}${args.quick ? ' (--quick: proves the script works; numbers not meaningful)' : ''}`,
    );
    log(
      `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}, ulimit -n ${process.env.BENCH_ULIMIT ?? '?'}`,
    );
    const own = async (service: Promise<LocalService>): Promise<string> => {
      const started = await service;
      services.push(started);
      return started.url;
    };
    const redisUrl: string = process.env.REDIS_URL ?? (await own(startRedisServer({ appendOnly: true })));
    const mongoBase: string = process.env.MONGO_URL ?? (await own(startFerretDb()));
    const mongo = (database: string) => {
      const url = new URL(mongoBase);
      url.pathname = `/${database}`;
      return url.toString();
    };
    const apiPort = await freePort();
    const env: Record<string, string> = {
      NODE_ENV: 'development',
      MONGO_URL: mongo('bench'),
      REDIS_URL: redisUrl,
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      METRICS_PORT: '0',
      API_PROCESSES: String(args.processes),
      PASSWORD_HASH_PROFILE: 'standard',
      RATE_LIMIT_PROFILE: 'relaxed',
      JWT_SECRET,
      LOG_LEVEL: 'warn',
      MONGO_OPERATION_TIMEOUT_MS: '5000',
      REDIS_COMMAND_TIMEOUT_MS: '2000',
      SHUTDOWN_GRACE_MS: '0',
      WORKER_CONCURRENCY: '50',
    };
    const config = loadConfig(env);
    log(
      `bench profile: ${args.processes} API processes (node:cluster), 1 worker; scrypt N=2^${config.passwordHash.logN} r=${config.passwordHash.r} p=${config.passwordHash.p}, ` +
        `${config.passwordHash.maxConcurrent} concurrent hashes per process; rate limits "${config.rateLimits.profile}" ` +
        `(${config.rateLimits.perIp.points}/${config.rateLimits.perIp.windowSeconds}s per address, ${config.rateLimits.perAccount.points}/${config.rateLimits.perAccount.windowSeconds}s per account); ` +
        `token login HS256; Redis AOF everysec; MongoDB-wire: ${process.env.MONGO_URL ? 'MONGO_URL' : 'FerretDB'}`,
    );

    log('building: npm run build (every process below runs the compiled dist/, as in production) ...');
    const build = spawnSync('npm', ['run', 'build'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
    log(
      `seeding: campaigns bench-soldout (limit 1) and bench-burst (limit ${args.limit}), ${passwordUsers} password users, ${users} tokens ...`,
    );
    await seed(
      { campaign: 'bench-soldout', limit: 1, users: passwordUsers, password: PASSWORD, prefix: 'benchuser' },
      config,
    );
    await seed(
      { campaign: 'bench-burst', limit: args.limit, users: 0, password: PASSWORD, prefix: 'benchuser' },
      config,
    );
    const tokensFile = await tokens(users, work);
    const bodies = Array.from({ length: passwordUsers }, (_, i) =>
      JSON.stringify({ account: `benchuser${i + 1}`, password: PASSWORD, campaignId: 'bench-soldout' }),
    );
    const bodiesFile = join(work, 'bodies.txt');
    writeFileSync(bodiesFile, bodies.join('\n'));

    const api = start('src/cluster.ts', env, 'api');
    start('workers/main.ts', env, 'worker');
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitFor(`${apiUrl}/ready`);
    // The sold-out campaign is made full by its first winner.
    await fetch(`${apiUrl}/api/login-campaign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bodies[0],
    });

    const barePort = await freePort();
    start(
      'scripts/bench/bare-koa.ts',
      { BENCH_PORT: String(barePort), BENCH_PROCESSES: String(args.processes) },
      'bare koa',
    );
    const naivePort = await freePort();
    start(
      'scripts/bench/naive-baseline.ts',
      {
        BENCH_PORT: String(naivePort),
        BENCH_PROCESSES: String(args.processes),
        BENCH_LIMIT: String(args.limit),
        MONGO_URL: mongo('bench_naive'),
        JWT_SECRET,
      },
      'naive baseline',
    );
    await waitFor(`http://127.0.0.1:${barePort}/api/login-campaign`);
    await waitFor(`http://127.0.0.1:${naivePort}/api/login-campaign`);

    const soldOutBody = JSON.stringify({ campaignId: 'bench-soldout' });
    log(`row 1: ${seconds} s each at 100 connections: bare Koa, then the sold-out path ...`);
    await load({
      url: `http://127.0.0.1:${barePort}/api/login-campaign`,
      connections: 100,
      durationSeconds: 1,
      body: soldOutBody,
    }); // warm-up
    const bare = await load({
      url: `http://127.0.0.1:${barePort}/api/login-campaign`,
      connections: 100,
      durationSeconds: seconds,
      body: soldOutBody,
    });
    await load({
      url: `${apiUrl}/api/login-campaign`,
      connections: 100,
      durationSeconds: 1,
      body: soldOutBody,
      tokensFile,
    }); // warm-up
    const soldOut = await load({
      url: `${apiUrl}/api/login-campaign`,
      connections: 100,
      durationSeconds: seconds,
      body: soldOutBody,
      tokensFile,
    });

    log(`row 2: the burst, ${users} distinct users at ${connections} connections against limit ${args.limit} ...`);
    const burstStarted = Date.now();
    const burst = await load({
      url: `${apiUrl}/api/login-campaign`,
      connections,
      amount: users,
      body: JSON.stringify({ campaignId: 'bench-burst' }),
      tokensFile,
    });
    const client = await new MongoClient(mongo('bench')).connect();
    const db = client.db();
    const deadline = Date.now() + 120_000;
    while (
      (await db.collection('vouchers').countDocuments({ campaignId: 'bench-burst' })) < args.limit &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 250));
    }
    const drainedMs = Date.now() - burstStarted;
    const winners = await db.collection('winners').find({ campaignId: 'bench-burst' }).toArray();
    const vouchers = await db.collection('vouchers').find({ campaignId: 'bench-burst' }).toArray();
    const wonAt = new Map(winners.map((w) => [w.userId as string, (w.createdAt as Date).getTime()]));
    const voucherLatencies = vouchers.map(
      (v) => (v.createdAt as Date).getTime() - (wonAt.get(v.userId as string) ?? NaN),
    );
    await client.close();
    const rss = peakRssOfChildren(api.pid as number);

    log(`row 3: the same burst against the naive baseline ...`);
    const naive = await load({
      url: `http://127.0.0.1:${naivePort}/api/login-campaign`,
      connections,
      amount: users,
      body: JSON.stringify({ campaignId: 'bench-naive' }),
      tokensFile,
    });
    const naiveClient = await new MongoClient(mongo('bench_naive')).connect();
    const naiveWinners = await naiveClient.db().collection('winners').countDocuments({ campaignId: 'bench-naive' });
    await naiveClient.close();

    log(`row 4: raw scrypt for ${seconds} s, then the password path for ${seconds} s at 50 connections ...`);
    const scryptRate = runJson('scripts/bench/scrypt-rate.ts', {
      BENCH_PROCESSES: String(args.processes),
      BENCH_CONCURRENCY: String(config.passwordHash.maxConcurrent),
      BENCH_SECONDS: String(seconds),
      BENCH_LOG_N: String(config.passwordHash.logN),
    });
    const passwordPath = await load({
      url: `${apiUrl}/api/login-campaign`,
      connections: 50,
      durationSeconds: seconds,
      body: bodies[0],
      bodiesFile,
    });

    log(`row 6: the claim script alone on one Redis for ${seconds} s, winning then sold out ...`);
    type ClaimPhase = { claimsPerSec: number; redisCpuMicrosPerClaim: number };
    const claimRate = runJson<{ winning: ClaimPhase; soldOut: ClaimPhase; bytesPerWinner: number }>(
      'scripts/bench/claim-rate.ts',
      {
        REDIS_URL: redisUrl,
        BENCH_SECONDS: String(seconds),
      },
    );
    const reconcileWinners = args.quick ? 2_000 : 20_000;
    log(`row 7: a reconcile pass over campaigns of 100 and ${reconcileWinners} winners (nothing to fix) ...`);
    type ReconcileCost = { results: { winners: number; bestMs: number }[]; perWinnerMs: number };
    const reconcileCost = runJson<ReconcileCost>('scripts/bench/reconcile-cost.ts', {
      ...env,
      MONGO_URL: mongo('bench_reconcile'),
      BENCH_WINNERS: `100,${reconcileWinners}`,
    });

    const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
    const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
    const rows: string[][] = [
      [
        '1',
        'sold-out path / bare Koa POST',
        `${fmt(soldOut.reqPerSec)} / ${fmt(bare.reqPerSec)} req/s`,
        fmt(soldOut.reqPerSec / bare.reqPerSec, 2),
        '>= 0.5',
        verdict(soldOut.reqPerSec / bare.reqPerSec >= 0.5),
      ],
      [
        '2',
        `burst: ${users} users, ${connections} conns, limit ${args.limit}`,
        `${fmt(burst.seconds, 1)} s, ${fmt(burst.reqPerSec)} req/s, p50 ${burst.p50} / p99 ${burst.p99} / max ${burst.max} ms, non-2xx ${burst.non2xx}, errors ${burst.errors}`,
        '',
        'p99 < 250 ms, 0 non-2xx',
        verdict(burst.p99 < 250 && burst.non2xx === 0 && burst.errors === 0),
      ],
      [
        '2',
        'burst: winners / vouchers after drain',
        `${winners.length} / ${vouchers.length} (drained ${fmt(drainedMs / 1000, 1)} s after start)`,
        '',
        `exactly ${args.limit}`,
        verdict(winners.length === args.limit && vouchers.length === args.limit),
      ],
      [
        '3',
        'burst: ours / naive baseline',
        `${fmt(burst.reqPerSec)} / ${fmt(naive.reqPerSec)} req/s (baseline gave ${naiveWinners} vouchers for limit ${args.limit})`,
        fmt(burst.reqPerSec / naive.reqPerSec, 2),
        '>= 3',
        verdict(burst.reqPerSec / naive.reqPerSec >= 3),
      ],
      [
        '4',
        'password logins / raw scrypt',
        `${fmt(passwordPath.reqPerSec, 1)} / ${fmt(scryptRate.opsPerSec ?? NaN, 1)} per s (non-2xx ${passwordPath.non2xx})`,
        fmt(passwordPath.reqPerSec / (scryptRate.opsPerSec ?? NaN), 2),
        '>= 0.9',
        verdict(passwordPath.reqPerSec / (scryptRate.opsPerSec ?? NaN) >= 0.9),
      ],
      [
        '5',
        'winner-to-voucher latency p99',
        `${fmt(percentile(voucherLatencies, 99))} ms (p50 ${fmt(percentile(voucherLatencies, 50))} ms)`,
        '',
        '< 1000 ms',
        verdict(percentile(voucherLatencies, 99) < 1_000),
      ],
      [
        '5',
        'peak RSS per API process',
        `${rss.map((mb) => fmt(mb)).join(', ')} MB`,
        '',
        '< 300 MB',
        verdict(rss.length > 0 && Math.max(...rss) < 300),
      ],
      ...(['winning', 'soldOut'] as const).map((phase) => {
        const measured = claimRate[phase];
        return [
          '6',
          `claim script on one Redis (${phase === 'winning' ? 'every claim wins' : 'sold out'})`,
          `${fmt(measured.claimsPerSec)} claims/s from one client process, ${fmt(measured.redisCpuMicrosPerClaim, 1)} µs Redis CPU each` +
            (phase === 'winning' ? `, ${fmt(claimRate.bytesPerWinner)} B of Redis memory per winner` : ''),
          fmt(1e6 / measured.redisCpuMicrosPerClaim),
          'capacity input: claims/s one shard can serve one campaign',
          'input',
        ];
      }),
      [
        '7',
        'reconcile pass (nothing to fix)',
        reconcileCost.results.map((r) => `${fmt(r.bestMs)} ms for ${r.winners} winners`).join(', '),
        `${fmt(reconcileCost.perWinnerMs * 1_000, 1)} ms / 1000 winners`,
        'capacity input: reconcile time per campaign and interval',
        'input',
      ],
    ];
    log('');
    log('| row | measure | measured | ratio | goal | |');
    log('| --- | --- | --- | --- | --- | --- |');
    for (const row of rows) log(`| ${row.join(' | ')} |`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const service of services) await service.remove();
    rmSync(work, { recursive: true, force: true });
  }
});
