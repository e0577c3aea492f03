import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Db } from 'mongodb';

import type { LoadSpec } from './load';
import { PROJECT_ROOT } from '../lib/local-services';

/**
 * What the benchmark scripts share: the processes they start (compiled, from dist/), the load generator in
 * a process of its own, resident memory sampling, waiting for a quiet machine, percentiles.
 */
export const children: ChildProcess[] = [];
export const log = (line: string) => process.stdout.write(`${line}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The compiled form of a script under `root`'s dist/, as production runs it (`npm run build` first). */
export function built(script: string, root = PROJECT_ROOT): string {
  return join(root, 'dist', script.replace(/\.ts$/, '.js'));
}

/** `npm run build` in `root` (this checkout by default), or an error with its output. */
export function build(root = PROJECT_ROOT): void {
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run build failed in ${root}:\n${result.stdout}${result.stderr}`);
}

/**
 * Starts a compiled script of `root` (this checkout by default) with `env` on top of ours; kept in
 * `children`. With BENCH_LOGS=<dir>, everything it prints is also appended to <dir>/<name>.log.
 */
export function start(script: string, env: Record<string, string>, name: string, root = PROJECT_ROOT): ChildProcess {
  const child = spawn(process.execPath, [built(script, root)], {
    cwd: root,
    env: { ...process.env, ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const logFile = process.env.BENCH_LOGS === undefined ? undefined : join(process.env.BENCH_LOGS, `${name}.log`);
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-2_000);
    if (logFile !== undefined) appendFileSync(logFile, chunk);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('exit', (code, signal) => {
    if (code !== 0 && code !== null && signal === null) process.stderr.write(`${name} exited ${code}: ${tail}\n`);
  });
  children.push(child);
  return child;
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

/** Resolves once `url` answers (any status), or, for a /ready URL, once it says ready. */
export async function waitFor(url: string, timeoutMs = 60_000): Promise<void> {
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
    await sleep(200);
  }
  throw new Error(`${url} did not come up within ${timeoutMs} ms`);
}

export interface LoadResult {
  requests: number;
  seconds: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  max: number;
  percentiles: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, { count: number }>;
}

/** One autocannon run in a process of its own. */
export function load(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((done, reject) => {
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
      else done(JSON.parse(out.trim().split('\n').at(-1) as string) as LoadResult);
    });
  });
}

export function runJson<T = Record<string, number>>(script: string, env: Record<string, string>): T {
  const result = spawnSync(process.execPath, [built(script)], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`${script} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) as string) as T;
}

/** The API processes of a node:cluster primary (its children). */
export function childPids(parent: number): number[] {
  return spawnSync('ps', ['-o', 'pid=', '--ppid', String(parent)], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((p) => Number(p.trim()))
    .filter((p) => p > 0);
}

export function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** Samples the resident memory of `parent`'s children every 200 ms while `during` runs; the peak of each. */
export async function peakRss<T>(parent: number, during: Promise<T>): Promise<{ result: T; rss: number[] }> {
  const peaks = new Map<number, number>();
  let running = true;
  const sampler = (async () => {
    while (running) {
      for (const pid of childPids(parent)) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, rssMb(pid)));
      await sleep(200);
    }
  })();
  const result = await during.finally(() => {
    running = false;
  });
  await sampler;
  return { result, rss: [...peaks.values()] };
}

/**
 * Connections the kernel dropped so far because a listening socket's accept queue was full (TcpExt
 * ListenDrops in /proc/net/netstat; 0 where it cannot be read). Each such client waits for its SYN retry,
 * a second or more: read before and after a burst, the difference says whether the burst's slowest answers
 * were waiting to be accepted.
 */
export function listenDrops(): number {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const names = lines.find((line) => line.startsWith('TcpExt:'))?.split(/\s+/) ?? [];
    const values = lines.filter((line) => line.startsWith('TcpExt:'))[1]?.split(/\s+/) ?? [];
    return Number(values[names.indexOf('ListenDrops')] ?? 0);
  } catch {
    return 0;
  }
}

/** The machine's CPU time so far: idle and total, in clock ticks (/proc/stat). */
export function cpuTicks(): { idle: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  return { idle: (fields[3] ?? 0) + (fields[4] ?? 0), total: fields.reduce((a, b) => a + b, 0) };
}

/**
 * Waits until the machine is quiet (under 15% busy over a second), at most 90 s, before a measurement:
 * work left from the one before (a sold-out burst's participations written to the database afterwards
 * take seconds of database CPU) must not slow the next, whichever side it is on.
 */
export async function quiet(): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < 90_000) {
    const before = cpuTicks();
    await sleep(1_000);
    const after = cpuTicks();
    const busy = 1 - (after.idle - before.idle) / Math.max(1, after.total - before.total);
    if (busy < 0.15) {
      if (Date.now() - started > 1_500)
        log(`  (waited ${((Date.now() - started) / 1000).toFixed(0)} s for a quiet machine)`);
      return;
    }
  }
  log('  note: the machine stayed busy for 90 s; measuring anyway');
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

export const median = (values: number[]) => percentile(values, 50);

/**
 * Waits (at most 120 s) until the campaign has `limit` vouchers, then reads its winners and vouchers, and
 * each voucher's latency: its createdAt less its winner's (the moment the winning claim began).
 */
export async function vouchersDelivered(db: Db, campaignId: string, limit: number) {
  const deadline = Date.now() + 120_000;
  while ((await db.collection('vouchers').countDocuments({ campaignId })) < limit && Date.now() < deadline)
    await sleep(250);
  const winners = await db.collection('winners').find({ campaignId }).toArray();
  const vouchers = await db.collection('vouchers').find({ campaignId }).toArray();
  const wonAt = new Map(winners.map((w) => [w.userId as string, (w.createdAt as Date).getTime()]));
  const latencies = vouchers.map((v) => (v.createdAt as Date).getTime() - (wonAt.get(v.userId as string) ?? NaN));
  return { winners, vouchers, latencies };
}

/** Where the services are; `mongoPoolSize` bounds each process's database pool (on FerretDB: `mongoPoolWithin`). */
export interface ServiceUrls {
  mongo: string;
  redis: string;
  mongoPoolSize?: number;
}

/** What every API the bench starts shares: its services and port, the standard limits behind TRUST_PROXY. */
function benchServiceEnv(urls: ServiceUrls, port: number, jwtSecret: string): Record<string, string> {
  return {
    NODE_ENV: 'development',
    MONGO_URL: urls.mongo,
    REDIS_URL: urls.redis,
    ...(urls.mongoPoolSize === undefined ? {} : { MONGO_MAX_POOL_SIZE: String(urls.mongoPoolSize) }),
    PORT: String(port),
    HOST: '127.0.0.1',
    METRICS_PORT: '0',
    RATE_LIMIT_PROFILE: 'standard',
    TRUST_PROXY: 'true',
    JWT_SECRET: jwtSecret,
    SHUTDOWN_GRACE_MS: '0',
  };
}

/**
 * The settings `npm run bench` runs the service with (and `npm run bench:password`, its row 4 alone):
 * production hashing and limits, TRUST_PROXY, and the three it sets apart from the defaults, which its
 * report names: the database wait 5,000 ms, the Redis command wait 2,000 ms, the worker's concurrency 50.
 */
export function benchApiEnv(
  urls: ServiceUrls,
  port: number,
  apiProcesses: number,
  jwtSecret: string,
): Record<string, string> {
  return {
    ...benchServiceEnv(urls, port, jwtSecret),
    WORKER_PORT: '0',
    API_PROCESSES: String(apiProcesses),
    PASSWORD_HASH_PROFILE: 'standard',
    LOG_LEVEL: 'warn',
    MONGO_OPERATION_TIMEOUT_MS: '5000',
    REDIS_COMMAND_TIMEOUT_MS: '2000',
    WORKER_CONCURRENCY: '50',
  };
}

/**
 * The settings of an API serving row 1's sold-out path to token logins: the standard limits, TRUST_PROXY
 * (a distinct client address per request in X-Forwarded-For), cheap password hashing (only the campaign's
 * first winner logs in with a password), `extra` on top.
 */
export function soldOutApiEnv(
  urls: ServiceUrls,
  port: number,
  jwtSecret: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { ...benchServiceEnv(urls, port, jwtSecret), PASSWORD_HASH_PROFILE: 'test', ...extra };
}
