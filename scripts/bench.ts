import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { z } from 'zod';

import { loadConfig } from '../src/config';
import { latencyChart, scaleChart, type LatencySeries, type ScalePoint } from './bench/charts';
import {
  benchApiEnv,
  build,
  children,
  load,
  listenDrops,
  log,
  median,
  peakRss,
  percentile,
  quiet,
  runJson,
  sleep,
  start,
  stop,
  waitFor,
  vouchersDelivered,
  type LoadResult,
} from './bench/harness';
import {
  PROJECT_ROOT,
  freePort,
  mongoPoolWithin,
  startFerretDb,
  startRedisServer,
  type LocalService,
} from './lib/local-services';
import { parseCli, runCli } from './lib/cli';
import { hs256Token } from './lib/hs256-token';
import { seed } from './seed';

const HELP = `usage: npm run bench [-- --quick] [--runs 1] [--users 100000] [--connections 1000] [--scale 1000,5000,10000]
                  [--limit 100] [--processes N] [--seconds 10] [--baseline-users 20000] [--baseline-connections 200]
                  [--out dir]

Measures the service against yardsticks run side by side on this machine, in one run, and prints one
table of ratios per run (absolute figures on a shared 2-core machine say little; ratios measured together
do), then the median and spread of each ratio over the runs:
  1  sold-out path req/s / bare Koa JSON POST req/s, 1 process vs 1, then N vs N     goal >= 0.5
  2  a burst of --users distinct users at --connections, limit --limit: time, p50/p99/max,
     non-2xx, exactly --limit winners and vouchers                    goal p99 < 250 ms, max < 2 s, < 10 s
  S  the same burst at each --scale connection count: p99, max, errors, peak RSS per API process; beside
     it the same burst against bare Koa at as many connections (the machine's own wait at that crowd)
  3  ours / the seed's design (insert login, INCR, insert voucher), --baseline-users at
     --baseline-connections: req/s ratio and vouchers issued, clean and with a FLUSHALL mid-burst
  4  password-path logins/s / raw scrypt derivations/s (same cost, cores)            goal >= 0.9
     with clients that honour Retry-After as the API asks; then the same load ignoring it (a flood)
  5  winner-to-voucher latency p99 (< 500 ms); peak RSS per API process at the largest scale (< 200 MB)
  6  the claim script alone: claims/s and Redis CPU per claim (capacity model input)
  7  one reconcile pass over campaigns of 100 and 20,000 winners (capacity model input)
Production settings throughout: the standard rate limits, TRUST_PROXY on, a distinct token user and
client address (X-Forwarded-For) per request; token login HS256. It builds dist/ (npm run build), starts
its own redis-server (AOF) and FerretDB (or uses REDIS_URL / MONGO_URL), the API as node:cluster, one
worker, the yardsticks, all compiled; load comes from autocannon in a process of its own. It writes
results.json and the charts (SVG) to --out (default bench-results/<time>). --quick is small enough for CI:
it proves the script works; its numbers mean little.`;

const argsSchema = z.object({
  quick: z.boolean().default(false),
  runs: z.coerce.number().int().min(1).max(10).default(1),
  users: z.coerce.number().int().min(100).max(1_000_000).optional(),
  connections: z.coerce.number().int().min(1).max(20_000).optional(),
  scale: z
    .string()
    .regex(/^\d+(,\d+)*$/)
    .optional(),
  limit: z.coerce.number().int().min(1).default(100),
  processes: z.coerce.number().int().min(1).max(64).default(availableParallelism()),
  seconds: z.coerce.number().int().min(1).max(600).optional(),
  'baseline-users': z.coerce.number().int().min(100).max(1_000_000).optional(),
  'baseline-connections': z.coerce.number().int().min(1).max(20_000).optional(),
  out: z.string().optional(),
});

const JWT_SECRET = randomBytes(32).toString('hex');
/** The bench's own FerretDB: PostgreSQL connections (its default max_connections is 100). */
const BENCH_FERRETDB_CONNECTIONS = 80;
const PASSWORD = 'bench-password-123';

/** HS256 tokens for bench-user-0..bench-user-(count-1), one a line. */
function tokens(count: number, file: string): string {
  const exp = Math.floor(Date.now() / 1000) + 50 * 60;
  const lines: string[] = [];
  for (let i = 0; i < count; i += 1) lines.push(hs256Token(`bench-user-${i}`, exp, JWT_SECRET));
  writeFileSync(file, lines.join('\n'));
  return file;
}

runCli(async () => {
  const args = parseCli(
    process.argv.slice(2),
    {
      quick: { type: 'boolean' },
      runs: { type: 'string' },
      users: { type: 'string' },
      connections: { type: 'string' },
      scale: { type: 'string' },
      limit: { type: 'string' },
      processes: { type: 'string' },
      seconds: { type: 'string' },
      'baseline-users': { type: 'string' },
      'baseline-connections': { type: 'string' },
      out: { type: 'string' },
    },
    argsSchema,
    HELP,
  );
  if (args === null) return;
  const users = args.users ?? (args.quick ? 2_000 : 100_000);
  const connections = args.connections ?? (args.quick ? 100 : 1_000);
  const scale = (args.scale ?? (args.quick ? '100' : '1000,5000,10000')).split(',').map(Number);
  const seconds = args.seconds ?? (args.quick ? 2 : 10);
  const baselineUsers = args['baseline-users'] ?? (args.quick ? 1_000 : 20_000);
  const baselineConnections = args['baseline-connections'] ?? (args.quick ? 50 : 200);
  const passwordUsers = args.quick ? 20 : 200;
  const { limit, processes } = args;
  const out = resolve(args.out ?? join(PROJECT_ROOT, 'bench-results', new Date().toISOString().replace(/[:.]/g, '-')));
  mkdirSync(out, { recursive: true });
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
    const mongoBase: string =
      process.env.MONGO_URL ?? (await own(startFerretDb({ maxConnections: BENCH_FERRETDB_CONNECTIONS })));
    // On its own FerretDB: the API processes, the worker and this script stay below its connections.
    const mongoPoolSize = process.env.MONGO_URL
      ? undefined
      : mongoPoolWithin(BENCH_FERRETDB_CONNECTIONS, processes + 2);
    const mongo = (database: string) => {
      const url = new URL(mongoBase);
      url.pathname = `/${database}`;
      return url.toString();
    };
    const env = (port: number, apiProcesses: number): Record<string, string> =>
      benchApiEnv({ mongo: mongo('bench'), redis: redisUrl, mongoPoolSize }, port, apiProcesses, JWT_SECRET);
    const config = loadConfig(env(0, processes));
    log(
      `bench profile: API as node:cluster (1, then ${processes} processes), 1 worker; scrypt N=2^${config.passwordHash.logN}; ` +
        `rate limits standard (${config.rateLimits.perIp.points}/${config.rateLimits.perIp.windowSeconds}s per address, ` +
        `${config.rateLimits.perAccount.points}/${config.rateLimits.perAccount.windowSeconds}s per user), TRUST_PROXY, a distinct user and address per request; ` +
        `token login HS256; Redis AOF everysec; MongoDB-wire: ${process.env.MONGO_URL ? 'MONGO_URL' : 'FerretDB'}; ` +
        `not the defaults: database wait ${config.mongo.operationTimeoutMs} ms (400), Redis command wait ` +
        `${config.redis.commandTimeoutMs} ms (500), voucher worker concurrency ${config.queue.workerConcurrency} (20)`,
    );

    log('building: npm run build (every process below runs the compiled dist/, as in production) ...');
    build();
    // Row 1 takes fresh users for each of its loads (up to ~300,000 a run on a fast day); the bursts reuse
    // the first `users` on campaigns of their own.
    const tokenCount = Math.max(users, baselineUsers, args.runs * 300_000);
    log(`seeding: a sold-out campaign, ${passwordUsers} password users, ${tokenCount} tokens ...`);
    await seed(
      { campaign: 'bench-soldout', limit: 1, users: passwordUsers, password: PASSWORD, prefix: 'benchuser' },
      config,
    );
    const tokensFile = tokens(tokenCount, join(work, 'tokens.txt'));
    const bodiesFile = join(work, 'bodies.txt');
    writeFileSync(
      bodiesFile,
      Array.from({ length: passwordUsers }, (_, i) =>
        JSON.stringify({ account: `benchuser${i + 1}`, password: PASSWORD, campaignId: 'bench-soldout' }),
      ).join('\n'),
    );

    const barePorts = { one: await freePort(), many: await freePort() };
    start('scripts/bench/bare-koa.ts', { BENCH_PORT: String(barePorts.one), BENCH_PROCESSES: '1' }, 'bare koa 1');
    start(
      'scripts/bench/bare-koa.ts',
      { BENCH_PORT: String(barePorts.many), BENCH_PROCESSES: String(processes) },
      'bare koa N',
    );
    const baselinePort = await freePort();
    start(
      'scripts/bench/seed-baseline.ts',
      {
        BENCH_PORT: String(baselinePort),
        BENCH_PROCESSES: String(processes),
        BENCH_LIMIT: String(limit),
        MONGO_URL: mongo('bench_seed'),
        REDIS_URL: redisUrl,
      },
      'seed baseline',
    );
    start('workers/main.ts', env(0, 1), 'worker');
    for (const port of [barePorts.one, barePorts.many, baselinePort])
      await waitFor(`http://127.0.0.1:${port}/api/login-campaign`);

    const client = await new MongoClient(mongo('bench')).connect();
    const seedClient = await new MongoClient(mongo('bench_seed')).connect();
    const redis = new Redis(redisUrl);
    const soldOutBody = JSON.stringify({ campaignId: 'bench-soldout' });
    const runs: Record<string, unknown>[] = [];
    // Row 1's loads all log in to the one sold-out campaign: each begins past the tokens the ones before it
    // used (plus a connection's worth of requests cut off at its end), so every login is that user's first
    // there, as the row says. Logins of users already recorded there would time the database refusing
    // duplicate participations instead (FerretDB retries a refused batch one document at a time).
    let soldOutUsed = 0;
    const scalePoints: ScalePoint[][] = [];
    let latencySeries: LatencySeries[] = [];

    for (let run = 1; run <= args.runs; run += 1) {
      const tag = `r${run}-${Date.now().toString(36)}`;
      const results: Record<string, unknown> = { run };
      log(`\n## run ${run} of ${args.runs}`);

      // Row 1: the sold-out path against bare Koa, 1 process against 1, then N against N.
      const row1: Record<string, { ours: number; bare: number }> = {};
      for (const [label, count, barePort] of [
        ['1 vs 1', 1, barePorts.one],
        [`${processes} vs ${processes}`, processes, barePorts.many],
      ] as const) {
        const apiPort = await freePort();
        const api = start('src/cluster.ts', env(apiPort, count), `api x${count}`);
        const apiUrl = `http://127.0.0.1:${apiPort}`;
        await waitFor(`${apiUrl}/ready`);
        // The sold-out campaign is made full by its first winner (a password login).
        await fetch(`${apiUrl}/api/login-campaign`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.1' },
          body: readFileSync(bodiesFile, 'utf8').split('\n')[0],
        });
        log(`row 1 (${label}): ${seconds} s each at 100 connections: bare Koa, then the sold-out path ...`);
        const bareUrl = `http://127.0.0.1:${barePort}/api/login-campaign`;
        await quiet();
        await load({ url: bareUrl, connections: 100, durationSeconds: 1, body: soldOutBody });
        const bare = await load({ url: bareUrl, connections: 100, durationSeconds: seconds, body: soldOutBody });
        const spec = {
          url: `${apiUrl}/api/login-campaign`,
          connections: 100,
          body: soldOutBody,
          tokensFile,
          distinctAddresses: true,
        };
        await quiet();
        const warmUp = await load({ ...spec, durationSeconds: 1, firstRequest: soldOutUsed });
        soldOutUsed += warmUp.requests + spec.connections;
        const ours = await load({ ...spec, durationSeconds: seconds, firstRequest: soldOutUsed });
        soldOutUsed += ours.requests + spec.connections;
        if (soldOutUsed > tokenCount)
          log(
            `  note: row 1 ran out of fresh users (${soldOutUsed} logins, ${tokenCount} tokens): some logged in again`,
          );
        row1[label] = { ours: ours.reqPerSec, bare: bare.reqPerSec };
        if (ours.non2xx > 0)
          log(`  note: ${ours.non2xx} non-2xx answers on the sold-out path: ${JSON.stringify(ours.statusCodes)}`);
        if (count === processes) {
          // The N-process API stays up for the other rows.
          results.row1 = row1;
          results.api = { port: apiPort, pid: api.pid };
        } else {
          await stop(api);
        }
      }
      const { port: apiPort, pid: apiPid } = results.api as { port: number; pid: number };
      const apiUrl = `http://127.0.0.1:${apiPort}`;

      /** A burst of `count` users at `conns` connections against a fresh campaign of our service. */
      const ourBurst = async (campaign: string, count: number, conns: number, during?: () => Promise<void>) => {
        await seed({ campaign, limit, users: 0, password: PASSWORD, prefix: 'benchuser' }, config);
        await quiet();
        const dropsBefore = listenDrops();
        const started = Date.now();
        const running = load({
          url: `${apiUrl}/api/login-campaign`,
          connections: conns,
          amount: count,
          body: JSON.stringify({ campaignId: campaign }),
          tokensFile,
          distinctAddresses: true,
        });
        const faulted = during?.();
        const { result, rss } = await peakRss(apiPid, running);
        await faulted;
        const { winners, vouchers, latencies } = await vouchersDelivered(client.db(), campaign, limit);
        const drainedMs = Date.now() - started;
        return {
          load: result,
          listenDrops: listenDrops() - dropsBefore,
          rss,
          winners: winners.length,
          vouchers: vouchers.length,
          drainedMs,
          voucherP99: percentile(latencies, 99),
          voucherP50: percentile(latencies, 50),
        };
      };

      // Row 2's yardstick: the same burst (same users, tokens and addresses) against bare Koa in as many
      // processes, which decides nothing and touches no database: what this machine allows any Koa server.
      const bareBurst = async (conns: number): Promise<LoadResult> => {
        await quiet();
        return load({
          url: `http://127.0.0.1:${barePorts.many}/api/login-campaign`,
          connections: conns,
          amount: users,
          body: JSON.stringify({ campaignId: `bench-bare-${conns}-${tag}` }),
          tokensFile,
          distinctAddresses: true,
        });
      };
      log(`row 2's yardstick: the same burst against bare Koa (${processes} processes) ...`);
      results.row2Bare = await bareBurst(connections);

      log(`row 2: the burst, ${users} distinct users at ${connections} connections against limit ${limit} ...`);
      const burst = await ourBurst(`bench-burst-${tag}`, users, connections);
      results.row2 = burst;

      const scaleRows: ScalePoint[] = [];
      const scaleResults: Record<string, unknown>[] = [];
      for (const conns of scale) {
        log(`row S: the burst at ${conns} connections ...`);
        const row = conns === connections ? burst : await ourBurst(`bench-scale-${conns}-${tag}`, users, conns);
        // The same burst against bare Koa at as many connections: how much of the wait the crowd costs any server.
        if (conns !== connections) log(`row S's yardstick: the burst against bare Koa at ${conns} connections ...`);
        const bare = conns === connections ? (results.row2Bare as LoadResult) : await bareBurst(conns);
        scaleRows.push({ connections: conns, p99: row.load.p99, max: row.load.max, rssMb: Math.max(...row.rss) });
        scaleResults.push({ connections: conns, ...row, bare });
      }
      scalePoints.push(scaleRows);
      results.scale = scaleResults;

      log(
        `row 3: ours and the seed's design, ${baselineUsers} users at ${baselineConnections} connections, clean then with a FLUSHALL mid-burst ...`,
      );
      const flushAtHalf = (counterKey: () => Promise<number>) => async () => {
        const deadline = Date.now() + 120_000;
        while ((await counterKey()) < limit / 2 && Date.now() < deadline) await sleep(5);
        await redis.flushall();
      };
      const ourCounter = (campaign: string) => async () =>
        Number((await redis.get(`${config.redis.keyPrefix}:{${campaign}}:counter`)) ?? 0);
      const seedBurst = async (campaign: string, during?: () => Promise<void>) => {
        await quiet();
        const running = load({
          url: `http://127.0.0.1:${baselinePort}/api/login-campaign`,
          connections: baselineConnections,
          amount: baselineUsers,
          body: JSON.stringify({ campaignId: campaign }),
          tokensFile,
        });
        const faulted = during?.();
        const result = await running;
        await faulted;
        const vouchers = await seedClient.db().collection('vouchers').countDocuments({ campaignId: campaign });
        return { load: result, vouchers };
      };
      const oursClean = await ourBurst(`bench-ours-${tag}`, baselineUsers, baselineConnections);
      const seedClean = await seedBurst(`bench-seed-${tag}`);
      const oursFlushed = await ourBurst(
        `bench-ours-flush-${tag}`,
        baselineUsers,
        baselineConnections,
        flushAtHalf(ourCounter(`bench-ours-flush-${tag}`)),
      );
      const seedFlushed = await seedBurst(
        `bench-seed-flush-${tag}`,
        flushAtHalf(async () => Number((await redis.get(`campaign_counter_bench-seed-flush-${tag}`)) ?? 0)),
      );
      results.row3 = { oursClean, seedClean, oursFlushed, seedFlushed };
      latencySeries = [
        { name: 'ours', percentiles: oursClean.load.percentiles },
        { name: "seed's design", percentiles: seedClean.load.percentiles },
      ];

      log(
        `row 4: raw scrypt for ${seconds} s, then the password path for ${seconds} s at 50 connections, ` +
          'clients honouring Retry-After, then ignoring it (a flood) ...',
      );
      await quiet();
      const scryptRate = runJson('scripts/bench/scrypt-rate.ts', {
        BENCH_PROCESSES: String(processes),
        BENCH_CONCURRENCY: String(config.passwordHash.maxConcurrent),
        BENCH_SECONDS: String(seconds),
        BENCH_LOG_N: String(config.passwordHash.logN),
      });
      const passwordLoad = { url: `${apiUrl}/api/login-campaign`, connections: 50, durationSeconds: seconds };
      const passwordBody = { body: readFileSync(bodiesFile, 'utf8').split('\n')[0] as string, bodiesFile };
      await quiet();
      const polite = await load({ ...passwordLoad, ...passwordBody, distinctAddresses: true, honourRetryAfter: true });
      await quiet();
      const flood = await load({ ...passwordLoad, ...passwordBody, distinctAddresses: true });
      // Logins answered 200 per second: a shed one (503 SERVER_BUSY) is no login.
      const loginsPerSecond = (result: LoadResult) => (result.statusCodes['200']?.count ?? 0) / result.seconds;
      results.row4 = {
        password: loginsPerSecond(polite),
        scrypt: scryptRate.opsPerSec,
        non2xx: polite.non2xx,
        statusCodes: polite.statusCodes,
        flood: { password: loginsPerSecond(flood), non2xx: flood.non2xx, statusCodes: flood.statusCodes },
      };
      await stop(children.find((c) => c.pid === apiPid) as ChildProcess);
      runs.push(results);
      printRun(results, { users, connections, limit, processes });
    }

    log(`\nrow 6: the claim script alone on one Redis for ${seconds} s, winning then sold out ...`);
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
    const reconcileCost = runJson<{ results: { winners: number; bestMs: number }[]; perWinnerMs: number }>(
      'scripts/bench/reconcile-cost.ts',
      {
        ...env(0, 1),
        MONGO_URL: mongo('bench_reconcile'),
        BENCH_WINNERS: `100,${reconcileWinners}`,
      },
    );
    log(
      `| 6 | claim script alone | winning ${claimRate.winning.claimsPerSec.toFixed(0)} claims/s (${claimRate.winning.redisCpuMicrosPerClaim.toFixed(1)} µs Redis CPU each, ${claimRate.bytesPerWinner.toFixed(0)} B per winner); sold out ${claimRate.soldOut.claimsPerSec.toFixed(0)} claims/s (${claimRate.soldOut.redisCpuMicrosPerClaim.toFixed(1)} µs each) |`,
    );
    log(
      `| 7 | reconcile pass, nothing to fix | ${reconcileCost.results.map((r) => `${r.bestMs.toFixed(0)} ms for ${r.winners} winners`).join(', ')} |`,
    );

    if (args.runs > 1) printSummary(runs, processes);
    await client.close();
    await seedClient.close();
    redis.disconnect();

    writeFileSync(join(out, 'results.json'), JSON.stringify({ args, runs, claimRate, reconcileCost }, null, 2));
    writeFileSync(
      join(out, 'latency.svg'),
      await latencyChart(
        `Burst of ${baselineUsers} users at ${baselineConnections} connections: latency`,
        latencySeries,
      ),
    );
    const lastScale = scalePoints.at(-1) ?? [];
    writeFileSync(
      join(out, 'scale.svg'),
      await scaleChart(`Burst of ${users} users at growing crowds (${processes} API processes)`, lastScale),
    );
    log(`\nresults and charts: ${out}`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await sleep(500);
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const service of services) await service.remove();
    rmSync(work, { recursive: true, force: true });
  }
});

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

type Burst = {
  load: LoadResult;
  rss: number[];
  winners: number;
  vouchers: number;
  drainedMs: number;
  voucherP99: number;
  voucherP50: number;
  listenDrops: number;
};

function printRun(
  results: Record<string, unknown>,
  o: { users: number; connections: number; limit: number; processes: number },
): void {
  const row1 = results.row1 as Record<string, { ours: number; bare: number }>;
  const burst = results.row2 as Burst;
  const scale = results.scale as (Burst & { connections: number; bare?: LoadResult })[];
  const row3 = results.row3 as {
    oursClean: Burst;
    seedClean: { load: LoadResult; vouchers: number };
    oursFlushed: Burst;
    seedFlushed: { load: LoadResult; vouchers: number };
  };
  const row4 = results.row4 as {
    password: number;
    scrypt: number;
    non2xx: number;
    flood: { password: number; non2xx: number };
  };
  const rows: string[][] = [];
  for (const [label, { ours, bare }] of Object.entries(row1)) {
    rows.push([
      '1',
      `sold-out path / bare Koa POST (${label})`,
      `${fmt(ours)} / ${fmt(bare)} req/s`,
      fmt(ours / bare, 2),
      '>= 0.5',
      verdict(ours / bare >= 0.5),
    ]);
  }
  const b = burst.load;
  rows.push([
    '2',
    `burst: ${o.users} users, ${o.connections} conns, limit ${o.limit}`,
    `${fmt(b.seconds, 1)} s, ${fmt(b.reqPerSec)} req/s, p50 ${b.p50} / p99 ${b.p99} / max ${b.max} ms, non-2xx ${b.non2xx}, errors ${b.errors}, connections dropped by the kernel ${burst.listenDrops}`,
    '',
    'p99 < 250 ms, max < 2 s, 0 non-2xx, < 10 s',
    verdict(b.p99 < 250 && b.max < 2_000 && b.non2xx === 0 && b.errors === 0 && b.seconds < 10),
  ]);
  const bare = results.row2Bare as LoadResult | undefined;
  if (bare !== undefined) {
    rows.push([
      '2',
      `the same burst against bare Koa (${o.processes} processes): the machine's floor`,
      `${fmt(bare.seconds, 1)} s, ${fmt(bare.reqPerSec)} req/s, p50 ${bare.p50} / p99 ${bare.p99} / max ${bare.max} ms, non-2xx ${bare.non2xx}, errors ${bare.errors}`,
      fmt(b.seconds / bare.seconds, 2),
      'input (ratio: our time / its time)',
      '',
    ]);
  }
  rows.push([
    '2',
    'burst: winners / vouchers after drain',
    `${burst.winners} / ${burst.vouchers}`,
    '',
    `exactly ${o.limit}`,
    verdict(burst.winners === o.limit && burst.vouchers === o.limit),
  ]);
  for (const row of scale) {
    const l = row.load;
    rows.push([
      'S',
      `burst at ${row.connections} connections`,
      `${fmt(l.seconds, 1)} s, p50 ${l.p50} / p97.5 ${l.percentiles.p97_5 ?? '?'} / p99 ${l.p99} / max ${l.max} ms, non-2xx ${l.non2xx}, errors ${l.errors + l.timeouts}, dropped ${row.listenDrops}; RSS ${row.rss.map((mb) => fmt(mb)).join(', ')} MB`,
      '',
      'how the cost grows',
      'input',
    ]);
    const bare = row.bare;
    if (bare !== undefined) {
      rows.push([
        'S',
        `the same burst against bare Koa at ${row.connections} connections`,
        `${fmt(bare.seconds, 1)} s, p50 ${bare.p50} / p97.5 ${bare.percentiles.p97_5 ?? '?'} / p99 ${bare.p99} / max ${bare.max} ms, non-2xx ${bare.non2xx}, errors ${bare.errors + bare.timeouts}`,
        fmt(l.p99 / bare.p99, 2),
        'input (ratio: our p99 / its p99)',
        '',
      ]);
    }
  }
  for (const [label, ours, seed] of [
    ["clean burst: ours / seed's design", row3.oursClean, row3.seedClean],
    ["FLUSHALL mid-burst: ours / seed's design", row3.oursFlushed, row3.seedFlushed],
  ] as const) {
    rows.push([
      '3',
      label,
      `${fmt(ours.load.reqPerSec)} / ${fmt(seed.load.reqPerSec)} req/s; vouchers ${ours.vouchers} / ${seed.vouchers} for limit ${o.limit}`,
      fmt(ours.load.reqPerSec / seed.load.reqPerSec, 2),
      'exactly the limit',
      verdict(ours.vouchers === o.limit),
    ]);
  }
  rows.push([
    '4',
    'password logins / raw scrypt (clients honour Retry-After)',
    `${fmt(row4.password, 1)} / ${fmt(row4.scrypt, 1)} per s (non-2xx ${row4.non2xx})`,
    fmt(row4.password / row4.scrypt, 2),
    '>= 0.9',
    verdict(row4.password / row4.scrypt >= 0.9),
  ]);
  rows.push([
    '4',
    'password logins / raw scrypt (a flood: clients ignore Retry-After)',
    `${fmt(row4.flood.password, 1)} / ${fmt(row4.scrypt, 1)} per s (non-2xx ${row4.flood.non2xx})`,
    fmt(row4.flood.password / row4.scrypt, 2),
    'input',
    '',
  ]);
  rows.push([
    '5',
    'winner-to-voucher latency p99',
    `${fmt(burst.voucherP99)} ms (p50 ${fmt(burst.voucherP50)} ms)`,
    '',
    '< 500 ms',
    verdict(burst.voucherP99 < 500),
  ]);
  const largest = scale.at(-1);
  rows.push([
    '5',
    `peak RSS per API process at ${largest?.connections ?? '?'} connections`,
    `${(largest?.rss ?? []).map((mb) => fmt(mb)).join(', ')} MB`,
    '',
    '< 200 MB',
    verdict(largest !== undefined && Math.max(...largest.rss) < 200),
  ]);
  log('');
  log('| row | measure | measured | ratio | goal | |');
  log('| --- | --- | --- | --- | --- | --- |');
  for (const row of rows) log(`| ${row.join(' | ')} |`);
}

function printSummary(runs: Record<string, unknown>[], processes: number): void {
  const ratios: Record<string, number[]> = {};
  const add = (name: string, value: number) => (ratios[name] ??= []).push(value);
  for (const results of runs) {
    for (const [label, { ours, bare }] of Object.entries(
      results.row1 as Record<string, { ours: number; bare: number }>,
    )) {
      add(`1 sold-out / bare Koa (${label})`, ours / bare);
    }
    const burst = results.row2 as Burst;
    add('2 burst p99 (ms)', burst.load.p99);
    add('2 burst max (ms)', burst.load.max);
    add('2 burst time (s)', burst.load.seconds);
    const bare = results.row2Bare as LoadResult | undefined;
    if (bare !== undefined) {
      add('2 the same burst, bare Koa: time (s)', bare.seconds);
      add('2 the same burst, bare Koa: p99 (ms)', bare.p99);
      add('2 the same burst, bare Koa: max (ms)', bare.max);
      add('2 burst time / bare Koa burst time', burst.load.seconds / bare.seconds);
    }
    for (const row of results.scale as { connections: number; load: LoadResult; bare?: LoadResult }[]) {
      add(`S p99 at ${row.connections} connections (ms)`, row.load.p99);
      if (row.bare !== undefined) add(`S the same at ${row.connections}, bare Koa: p99 (ms)`, row.bare.p99);
    }
    add('5 winner-to-voucher p99 (ms)', burst.voucherP99);
    const row3 = results.row3 as { oursClean: Burst; seedClean: { load: LoadResult } };
    add("3 ours / seed's design, clean (req/s)", row3.oursClean.load.reqPerSec / row3.seedClean.load.reqPerSec);
    const row4 = results.row4 as { password: number; scrypt: number; flood: { password: number } };
    add('4 password / raw scrypt, clients honour Retry-After', row4.password / row4.scrypt);
    add('4 password / raw scrypt, a flood', row4.flood.password / row4.scrypt);
  }
  log(`\n## over ${runs.length} runs (${processes} API processes): median [min - max]`);
  log('| measure | median | spread |');
  log('| --- | --- | --- |');
  for (const [name, values] of Object.entries(ratios)) {
    log(`| ${name} | ${fmt(median(values), 2)} | ${fmt(Math.min(...values), 2)} - ${fmt(Math.max(...values), 2)} |`);
  }
}
