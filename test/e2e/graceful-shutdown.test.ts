import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';

import { PROJECT_ROOT, freePort } from '../../scripts/lib/local-services';
import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { startHarness, TEST_PASSWORD, type Harness } from '../support/harness';
import { cleanEnv, tsNodeArgs } from '../support/run-script';

/**
 * SIGTERM, as an orchestrator sends it: the API reports not ready for the grace period, then stops
 * accepting connections, answers every request it has, and exits 0; a worker finishes the jobs it holds
 * and leaves the rest queued, losing none.
 */
let h: Harness;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  h = await startHarness();
  env = cleanEnv({
    MONGO_URL: h.config.mongo.url,
    REDIS_URL: h.config.redis.url,
    REDIS_KEY_PREFIX: h.config.redis.keyPrefix,
    QUEUE_PREFIX: h.config.queue.prefix,
    PASSWORD_HASH_PROFILE: 'standard', // real hashing cost keeps requests in flight long enough
    MONGO_OPERATION_TIMEOUT_MS: '10000', // FerretDB under a burst is slow; this test is about shutdown
    WORKER_CONCURRENCY: '4',
    SHUTDOWN_GRACE_MS: '1000',
    LOG_LEVEL: 'info',
  });
});
afterAll(async () => {
  await h?.close();
});

/** Processes a test started: one that failed before stopping them leaves none behind (nor a hung jest). */
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function start(script: string, extra: Record<string, string> = {}): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, tsNodeArgs(script), {
    cwd: PROJECT_ROOT,
    env: { ...env, ...extra } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

/** Polls `condition` every 20 ms until it holds; fails the test if it does not within `timeoutMs`. */
async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A GET on a connection of its own; resolves with the status and body, or the connection error's code. */
function get(port: number, path: string): Promise<{ status: number | string; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ status: error.code ?? 'error', body: '' }));
    req.end();
  });
}

/**
 * One login on a connection of its own; resolves with the status, or the connection error's code.
 * `onSent` runs once the whole request is written to the connection.
 */
function login(port: number, account: string, onSent: () => void = () => {}): Promise<number | string> {
  return new Promise((resolve) => {
    const body = JSON.stringify({ account, password: TEST_PASSWORD, campaignId: 'drain' });
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/login-campaign',
        method: 'POST',
        agent: new Agent({ keepAlive: false }),
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    req.on('finish', onSent);
    req.end(body);
  });
}

test('the API answers every request in flight at SIGTERM, reports not ready, then refuses new ones and exits 0', async () => {
  const accounts = Array.from({ length: 40 }, (_, i) => `drainer${i + 1}`);
  // One hash at the production cost for all 40: hashing each account here spent 40 derivations of the
  // test's budget on set-up, and on a loaded machine that alone took most of it; the logins still verify
  // every password at that cost, which is what keeps them in flight.
  await h.registerAtProductionCost(accounts);
  await h.saveCampaign('drain', { limit: 100 });

  const port = await freePort();
  // Every login gets its turn (no shedding): what is measured here is that none is dropped at SIGTERM.
  const api = start('src/main.ts', {
    PORT: String(port),
    HOST: '127.0.0.1',
    METRICS_PORT: '0',
    HASH_MAX_WAIT_MS: '30000',
    LOGIN_DEADLINE_MS: '30000',
  });
  await waitFor('the API to listen', () => api.output().includes('api listening'));

  let sent = 0;
  const inFlight = accounts.map((account) => login(port, account, () => (sent += 1)));
  // Every request connected and written before the signal; scrypt keeps them busy past it.
  await waitFor('every login to be sent', () => sent === accounts.length);
  const exited = exitOf(api.child);
  api.child.kill('SIGTERM');
  // Under this load /ready may answer 503 already (a dependency check slower than its timeout): what tells
  // the shutdown is the reason it gives.
  let ready: Awaited<ReturnType<typeof get>> = { status: 0, body: '' };
  await waitFor('/ready to report the shutdown', async () => {
    ready = await get(port, '/ready');
    return ready.body.includes('shutting down');
  });
  expect(ready.status).toBe(503); // not ready, yet still answering: load balancers stop sending
  expect(await Promise.all(inFlight)).toEqual(accounts.map(() => 200));
  expect(await exited).toBe(0);
  expect(await login(port, 'drainer1')).toBe('ECONNREFUSED');
  expect(api.output()).toContain('api stopped');
}, 60_000);

test('a worker stopped mid-burst finishes its jobs and loses none', async () => {
  await h.registerUsers(80, 'winner');
  await h.saveCampaign('jobs', { limit: 80 });
  await Promise.all(Array.from({ length: 80 }, (_, i) => h.login(`winner${i + 1}`, TEST_PASSWORD, 'jobs')));
  const queue = h.api.queues.voucherIssue;
  const vouchers = h.api.mongo.db.collection(COLLECTIONS.vouchers);
  const worker = start('workers/main.ts');
  await waitFor('ten vouchers', async () => (await vouchers.countDocuments({ campaignId: 'jobs' })) >= 10);
  const exited = exitOf(worker.child);
  worker.child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(worker.output()).toContain('workers stopped');
  const counts = await queue.getJobCounts('active', 'failed', 'completed', 'waiting');
  expect(counts.active).toBe(0); // nothing left half-done
  expect(counts.failed).toBe(0);
  expect(counts.completed).toBeGreaterThanOrEqual(10);
  // Every finished job wrote its voucher (the API test's winners are in the same queue: count them all).
  expect(await vouchers.countDocuments({})).toBe(counts.completed);

  await h.startWorker();
  await h.drainQueue();
  expect(await vouchers.countDocuments({ campaignId: 'jobs' })).toBe(80);
  const jobs = await queue.getJobs(['completed'], 0, 200);
  expect(jobs.filter((job) => job.data.campaignId === 'jobs')).toHaveLength(80);
  expect(jobs.every((job) => job.stalledCounter === 0)).toBe(true); // handed over cleanly, not recovered
}, 60_000);
