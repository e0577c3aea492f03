import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Starts the real services the project runs against, on free loopback ports, for tests and `npm run dev`:
 * a redis-server and FerretDB (a MongoDB-wire database; built by scripts/install-ferretdb.sh).
 */

export const PROJECT_ROOT = resolve(__dirname, '..', '..');

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolveConnect) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolveConnect(true);
    });
    socket.once('error', () => resolveConnect(false));
  });
}

async function waitForPort(port: number, child: ChildProcess, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before listening`);
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on port ${port} within ${timeoutMs} ms`);
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  child.kill('SIGCONT'); // a frozen process only acts on the signal once it runs again
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function collectOutput(child: ChildProcess): () => string {
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => output;
}

export interface LocalService {
  url: string;
  port: number;
  /** Its data directory. */
  dir: string;
  process: ChildProcess;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s). Data directories are kept until `remove`. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the process again on the same port with the same data directory. */
  restart(): Promise<void>;
  /** Stops and deletes its data directory. */
  remove(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open, nothing answers. */
  freeze(): void;
  /** Lets a frozen process go on (SIGCONT). */
  thaw(): void;
}

function managed(
  what: string,
  port: number,
  url: string,
  dir: string,
  launch: () => ChildProcess,
): Promise<LocalService> {
  let child: ChildProcess;
  const start = async (): Promise<void> => {
    child = launch();
    const output = collectOutput(child);
    try {
      await waitForPort(port, child, what);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${output()}`, { cause: error });
    }
  };
  const service: LocalService = {
    url,
    port,
    dir,
    get process() {
      return child;
    },
    stop: (signal) => stopChild(child, signal),
    restart: async () => {
      await stopChild(child);
      await start();
    },
    remove: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
    freeze: () => {
      child.kill('SIGSTOP');
      if (child.pid !== undefined) waitUntilStopped(child.pid);
    },
    thaw: () => {
      child.kill('SIGCONT');
    },
  };
  return start().then(() => service);
}

/**
 * SIGSTOP is delivered asynchronously: a thread running on another core may still answer a request sent
 * right after kill() returns. Waits (synchronously, at most 2 s) until every thread of `pid` is stopped,
 * so that a freeze is in force before the caller sends anything (/proc; elsewhere it returns at once).
 */
function waitUntilStopped(pid: number): void {
  const deadline = Date.now() + 2_000;
  const stopped = (): boolean => {
    try {
      return readdirSync(`/proc/${pid}/task`).every((task) => {
        const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
        return /^[tT]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
      });
    } catch {
      return true; // no /proc, or the process is gone
    }
  };
  while (!stopped() && Date.now() < deadline);
}

export interface RedisServerOptions {
  /** Append-only file with fsync every second, as production runs it; off by default for speed. */
  appendOnly?: boolean;
  dir?: string;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<LocalService> {
  const binary = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const port = await freePort();
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'promo-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no'];
  args.push('--appendonly', options.appendOnly ? 'yes' : 'no', '--appendfsync', 'everysec');
  args.push('--maxmemory-policy', 'noeviction', '--loglevel', 'warning');
  return managed('redis-server', port, `redis://127.0.0.1:${port}`, dir, () =>
    spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
}

export function ferretdbBinary(): string {
  const binary = process.env.FERRETDB_BIN ?? join(PROJECT_ROOT, '.tools', 'bin', 'ferretdb');
  if (!existsSync(binary)) {
    throw new Error(`FerretDB not found at ${binary}: run scripts/install-ferretdb.sh (or set MONGO_URL)`);
  }
  return binary;
}

export interface FerretDbOptions {
  /**
   * `postgresql` (default; FERRETDB_POSTGRESQL_URL names the server, a fresh database is created and dropped
   * on remove) or `sqlite` (a fresh directory; no server needed, but it scans instead of using indexes, so
   * it is slow for anything but small data).
   */
  handler?: 'sqlite' | 'postgresql';
  /** The database name put in the returned URL's path. */
  database?: string;
  /**
   * PostgreSQL connections this instance may open (postgresql handler; default 20). FerretDB holds one
   * connection while it waits for another (`mongoPoolWithin`), so an instance that many clients share at
   * once needs more: at 20, the test suite's shared instance was seen to hang for good under two test
   * files' load (every connection idle, every request waiting). The sum over instances running at once must
   * stay under the server's max_connections (100 by default).
   */
  maxConnections?: number;
}

/** The side pool each service process opens beside its main one (admin in the API, reconcile in the worker). */
const SIDE_POOL = 5;

/**
 * The MONGO_MAX_POOL_SIZE for `processes` service processes sharing one FerretDB of `connections`
 * PostgreSQL connections: each process's main pool of that size plus its 5-connection side pool stay below
 * `connections` together. FerretDB 1.24 serves an update (updateOne, findOneAndUpdate, an upsert) inside
 * the cursor of its query, holding that query's connection while it takes a second one for the write
 * (handler/common.UpdateDocument; deletes close their read first). Once the updates in flight reach the
 * pool, every connection waits for another and the instance answers nothing again, ping included: the
 * bench saw it in 3 of 5 bursts with 20 connections and the 100 winners' settles of a burst's first wave.
 * With fewer requests in flight than connections, one is always free and every update finishes. MongoDB
 * has no such limit; this sizes the stand-in only.
 */
export function mongoPoolWithin(connections: number, processes: number): number {
  const pool = Math.floor((connections - 1) / processes) - SIDE_POOL;
  if (pool < 1) throw new Error(`${connections} FerretDB connections cannot serve ${processes} service processes`);
  return pool;
}

function postgresCommand(command: 'createdb' | 'dropdb', serverUrl: string, database: string): void {
  const result = spawnSync(command, ['--maintenance-db', serverUrl, database], { encoding: 'utf8' });
  if (result.status !== 0 && command === 'createdb') {
    throw new Error(`createdb ${database} failed: ${result.error?.message ?? result.stderr}`);
  }
}

/**
 * FERRETDB_HANDLER when set; else PostgreSQL when one answers at FERRETDB_POSTGRESQL_URL (or 127.0.0.1:5432):
 * fast, and it uses indexes; else SQLite, which needs no server.
 */
function defaultHandler(): 'sqlite' | 'postgresql' {
  const chosen = process.env.FERRETDB_HANDLER;
  if (chosen === 'sqlite' || chosen === 'postgresql') return chosen;
  const server = new URL(process.env.FERRETDB_POSTGRESQL_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const ready = spawnSync('pg_isready', ['-q', '-h', server.hostname, '-p', server.port || '5432'], { timeout: 5_000 });
  return ready.status === 0 ? 'postgresql' : 'sqlite';
}

export async function startFerretDb(options: FerretDbOptions = {}): Promise<LocalService> {
  const binary = ferretdbBinary();
  const handler = options.handler ?? defaultHandler();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'promo-ferretdb-'));
  const args = [`--listen-addr=127.0.0.1:${port}`, '--state-dir=-', '--debug-addr=-', '--telemetry=disable'];
  args.push('--log-level=error', `--handler=${handler}`);
  let dropBackingDatabase = (): void => {};
  if (handler === 'sqlite') {
    args.push(`--sqlite-url=file:${dir}/`);
  } else {
    const server = new URL(process.env.FERRETDB_POSTGRESQL_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    const backing = `ferretdb_${process.pid}_${port}`;
    postgresCommand('createdb', server.toString(), backing);
    dropBackingDatabase = () => postgresCommand('dropdb', server.toString(), backing);
    const url = new URL(server.toString());
    url.pathname = `/${backing}`;
    // FerretDB opens up to 50 PostgreSQL connections by default; several instances at once (parallel test
    // files, the bench) would exhaust PostgreSQL's default max_connections of 100.
    if (!url.searchParams.has('pool_max_conns'))
      url.searchParams.set('pool_max_conns', String(options.maxConnections ?? 20));
    args.push(`--postgresql-url=${url.toString()}`);
  }
  const database = options.database ?? 'promotion';
  const service = await managed('ferretdb', port, `mongodb://127.0.0.1:${port}/${database}`, dir, () =>
    spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const remove = service.remove;
  service.remove = async () => {
    await remove();
    dropBackingDatabase();
  };
  return service;
}

export interface LocalRedisCluster {
  /** host:port of every master, for REDIS_CLUSTER_NODES. */
  nodes: string[];
  servers: LocalService[];
  remove(): Promise<void>;
}

/**
 * A Redis Cluster of `masters` redis-servers on free ports (no replicas), created with
 * `redis-cli --cluster create` and waited for until every node reports cluster_state:ok.
 */
export async function startRedisCluster(masters = 3): Promise<LocalRedisCluster> {
  const binary = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const servers: LocalService[] = [];
  for (let i = 0; i < masters; i += 1) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'promo-redis-cluster-'));
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
    args.push('--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--loglevel', 'warning');
    servers.push(
      await managed('redis-server (cluster)', port, `redis://127.0.0.1:${port}`, dir, () =>
        spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] }),
      ),
    );
  }
  const nodes = servers.map((s) => `127.0.0.1:${s.port}`);
  const created = spawnSync(
    'redis-cli',
    ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'],
    { encoding: 'utf8' },
  );
  if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
  const deadline = Date.now() + 20_000;
  for (const server of servers) {
    for (;;) {
      const info = spawnSync('redis-cli', ['-p', String(server.port), 'cluster', 'info'], { encoding: 'utf8' }).stdout;
      if (info.includes('cluster_state:ok')) break;
      if (Date.now() > deadline) throw new Error(`cluster node ${server.port} not ok: ${info}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    nodes,
    servers,
    remove: async () => {
      await Promise.all(servers.map((server) => server.remove()));
    },
  };
}
