import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { z } from 'zod';

import { voucherJobIdFor } from '../../src/adapters/queue/queue-names';
import { loadConfig } from '../../src/config';
import {
  PROJECT_ROOT,
  freePort,
  mongoPoolWithin,
  startFerretDb,
  startRedisServer,
  type LocalService,
} from '../lib/local-services';
import { parseCli, runCli } from '../lib/cli';
import { hs256Token } from '../lib/hs256-token';
import { seed } from '../seed';
import {
  build,
  children,
  load,
  log,
  median,
  peakRss,
  percentile,
  listenDrops,
  quiet,
  sleep,
  start,
  vouchersDelivered,
  waitFor,
} from './harness';

const HELP = `usage: npm run bench:compare -- --against <git revision> [--runs 6] [--users 50000] [--connections 1000]
                                [--limit 100] [--processes 2] [--other-env KEY=VALUE,...]

Runs this checkout's burst and another revision's side by side, in one run: both built (the other in a
temporary git worktree), both started against the same Redis (AOF) and FerretDB with their own keys,
queues and database, then bursts of --users distinct token users at --connections against a fresh
campaign of --limit, alternating A B B A ..., each after the machine is quiet. Per burst: time, p99 and
max answer times, non-2xx, winners and vouchers, the winner-to-voucher latency in its three stages (the
claim until the job is queued, the wait in the queue, the job itself; p50 and p99 of each), the jobs that
took more than one try, the connections the kernel dropped because the API's accept queue was full
(each waits a second or more for its SYN retry), and the peak RSS of the largest API process during the
burst (rssMb; the processes live through every burst of their side, as a server does). Then the median
of each and this checkout's medians over the other's. On a shared machine one burst says little; the
medians of alternating bursts say more.
--other-env sets environment variables for the other side's processes only (compare a setting: --against
HEAD --other-env WORKER_CONCURRENCY=100).`;

/** The comparison's FerretDB: PostgreSQL connections (its default max_connections is 100). */
const FERRETDB_CONNECTIONS = 90;

const argsSchema = z.object({
  against: z.string().regex(/^[\w./~^-]{1,100}$/, 'a git revision'),
  runs: z.coerce.number().int().min(1).max(20).default(6),
  users: z.coerce.number().int().min(1_000).max(1_000_000).default(50_000),
  connections: z.coerce.number().int().min(1).max(10_000).default(1_000),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
  processes: z.coerce.number().int().min(1).max(16).default(2),
  'other-env': z
    .string()
    .regex(/^([A-Z][A-Z0-9_]*=[^,]*)(,[A-Z][A-Z0-9_]*=[^,]*)*$/, 'KEY=VALUE[,KEY=VALUE...]')
    .optional(),
});

interface Side {
  label: string;
  root: string;
  port: number;
  /** The API's cluster primary: its children are the API processes. */
  apiPid: number;
  queuePrefix: string;
  config: ReturnType<typeof loadConfig>;
  client: MongoClient;
  rows: Record<string, number>[];
}

const MEASURES = [
  'seconds',
  'p99',
  'max',
  'non2xx',
  'winners',
  'vouchers',
  'voucherP50',
  'voucherP99',
  'listenDrops',
  'rssMb',
] as const;
const STAGES = ['queuedAfter', 'queueWait', 'jobRun'] as const;

function git(...args: string[]): string {
  const result = spawnSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

/** The voucher job's three stages for each winner (claim began → queued → taken by the worker → done), p50 and p99. */
async function jobStages(redis: Redis, side: Side, campaignId: string, winners: Record<string, unknown>[]) {
  const stages: Record<(typeof STAGES)[number], number[]> = { queuedAfter: [], queueWait: [], jobRun: [] };
  // Jobs that took more than one try (their wait in the queue then includes the failed tries and delays).
  let retried = 0;
  for (const winner of winners) {
    const job = await redis.hgetall(
      `${side.queuePrefix}:voucher-issue:${voucherJobIdFor(campaignId, String(winner.userId), Number(winner.run ?? 0))}`,
    );
    const [queued, taken, done] = [job.timestamp, job.processedOn, job.finishedOn].map(Number) as [
      number,
      number,
      number,
    ];
    stages.queuedAfter.push(queued - (winner.createdAt as Date).getTime());
    stages.queueWait.push(taken - queued);
    stages.jobRun.push(done - taken);
    if (Number(job.atm ?? 0) > 1) retried += 1;
  }
  return Object.fromEntries([
    ['retriedJobs', retried],
    ...STAGES.flatMap((stage) => [
      [`${stage}P50`, percentile(stages[stage], 50)],
      [`${stage}P99`, percentile(stages[stage], 99)],
    ]),
  ]);
}

runCli(async () => {
  const args = parseCli(
    process.argv.slice(2),
    {
      against: { type: 'string' },
      runs: { type: 'string' },
      users: { type: 'string' },
      connections: { type: 'string' },
      limit: { type: 'string' },
      processes: { type: 'string' },
      'other-env': { type: 'string' },
    },
    argsSchema,
    HELP,
  );
  if (args === null) return;
  const revision = git('rev-parse', '--short', args.against);
  const work = mkdtempSync(join(tmpdir(), 'promo-compare-'));
  const other = join(work, 'other');
  const services: LocalService[] = [];
  const jwtSecret = randomBytes(32).toString('hex');
  try {
    log(`building this checkout and ${args.against} (${revision}) in a worktree ...`);
    git('worktree', 'add', '--detach', other, revision);
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(other, 'node_modules'));
    build(PROJECT_ROOT);
    build(other);
    const redis = await startRedisServer({ appendOnly: true });
    services.push(redis);
    const ferret = await startFerretDb({ maxConnections: FERRETDB_CONNECTIONS });
    services.push(ferret);
    // Both sides' API processes and workers, and this script, stay below FerretDB's connections.
    const mongoPoolSize = mongoPoolWithin(FERRETDB_CONNECTIONS, 2 * (args.processes + 1) + 1);
    const redisClient = new Redis(redis.url);

    const sides: Side[] = [];
    // Settings for the other side only (a setting compared with itself: --against HEAD --other-env ...).
    const otherEnv = Object.fromEntries(
      (args['other-env'] ?? '')
        .split(',')
        .filter(Boolean)
        .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
    );
    const checkouts: [label: string, root: string][] = [
      ['this checkout', PROJECT_ROOT],
      [`${args.against} (${revision})${args['other-env'] === undefined ? '' : ` with ${args['other-env']}`}`, other],
    ];
    for (const [index, [label, root]] of checkouts.entries()) {
      const mongoUrl = new URL(ferret.url);
      mongoUrl.pathname = `/compare_${index}`;
      const port = await freePort();
      const queuePrefix = `{compare-${index}}`;
      const env: Record<string, string> = {
        NODE_ENV: 'development',
        MONGO_URL: mongoUrl.toString(),
        MONGO_MAX_POOL_SIZE: String(mongoPoolSize),
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: `compare${index}`,
        QUEUE_PREFIX: queuePrefix,
        PORT: String(port),
        HOST: '127.0.0.1',
        METRICS_PORT: '0',
        WORKER_PORT: '0',
        API_PROCESSES: String(args.processes),
        RATE_LIMIT_PROFILE: 'standard',
        TRUST_PROXY: 'true',
        JWT_SECRET: jwtSecret,
        LOG_LEVEL: 'warn',
        SHUTDOWN_GRACE_MS: '0',
        WORKER_CONCURRENCY: '50',
        ...(index === 1 ? otherEnv : {}),
      };
      start('workers/main.ts', env, `${label} worker`, root);
      const api = start('src/cluster.ts', env, `${label} api`, root);
      await waitFor(`http://127.0.0.1:${port}/ready`);
      const client = await new MongoClient(mongoUrl.toString()).connect();
      sides.push({
        label,
        root: root,
        port,
        apiPid: api.pid as number,
        queuePrefix,
        config: loadConfig(env),
        client,
        rows: [],
      });
    }

    const tokensFile = join(work, 'tokens.txt');
    let nextUser = 0;
    for (let run = 1; run <= args.runs; run += 1) {
      for (const side of run % 2 === 1 ? sides : [...sides].reverse()) {
        const campaignId = `compare-${run}-${Date.now().toString(36)}`;
        await seed(
          { campaign: campaignId, limit: args.limit, users: 0, password: 'unused-password', prefix: 'compare' },
          side.config,
        );
        const expires = Math.floor(Date.now() / 1000) + 50 * 60; // within the verifier's longest lifetime
        const tokens: string[] = [];
        for (let i = 0; i < args.users; i += 1, nextUser += 1)
          tokens.push(hs256Token(`compare-user-${nextUser}`, expires, jwtSecret));
        writeFileSync(tokensFile, tokens.join('\n'));
        await quiet();
        const dropsBefore = listenDrops();
        const { result, rss } = await peakRss(
          side.apiPid,
          load({
            url: `http://127.0.0.1:${side.port}/api/login-campaign`,
            connections: args.connections,
            amount: args.users,
            body: JSON.stringify({ campaignId }),
            tokensFile,
            distinctAddresses: true,
          }),
        );
        const { winners, vouchers, latencies } = await vouchersDelivered(side.client.db(), campaignId, args.limit);
        const row = {
          seconds: result.seconds,
          p99: result.p99,
          max: result.max,
          non2xx: result.non2xx,
          winners: winners.length,
          vouchers: vouchers.length,
          voucherP50: percentile(latencies, 50),
          voucherP99: percentile(latencies, 99),
          ...(await jobStages(redisClient, side, campaignId, winners)),
          listenDrops: listenDrops() - dropsBefore,
          rssMb: Math.max(...rss),
        };
        side.rows.push(row);
        log(`run ${run}, ${side.label}: ${JSON.stringify(row)}`);
        if (result.non2xx > 0) log(`  answers by status: ${JSON.stringify(result.statusCodes)}`);
      }
    }

    const columns = [...MEASURES, 'retriedJobs', ...STAGES.flatMap((stage) => [`${stage}P50`, `${stage}P99`])];
    const medians = sides.map((side) => columns.map((column) => median(side.rows.map((row) => row[column] ?? NaN))));
    log(
      `\n## medians over ${args.runs} bursts each (${args.users} users at ${args.connections} connections, limit ${args.limit})`,
    );
    log(`| side | ${columns.join(' | ')} |`);
    log(`| --- |${columns.map(() => ' ---: |').join('')}`);
    for (const [index, side] of sides.entries())
      log(
        `| ${side.label} | ${(medians[index] ?? []).map((value) => (Number.isInteger(value) ? String(value) : value.toFixed(2))).join(' | ')} |`,
      );
    log(
      `| this / other | ${columns.map((_, i) => ((medians[0]?.[i] ?? NaN) / (medians[1]?.[i] ?? NaN)).toFixed(2)).join(' | ')} |`,
    );
    redisClient.disconnect();
    for (const side of sides) await side.client.close();
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await sleep(1_000);
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const service of services) await service.remove();
    spawnSync('git', ['worktree', 'remove', '--force', other], { cwd: PROJECT_ROOT });
    rmSync(work, { recursive: true, force: true });
  }
});
