import { QUEUE_NAMES } from '../../src/adapters/queue/queue-names';
import { campaignKeys } from '../../src/adapters/redis/keys';
import { DEV_ADMIN_PASSWORD } from '../../src/config';
import { startHarness, TEST_PASSWORD, type Harness } from '../support/harness';

let h: Harness;
const admin = `Basic ${Buffer.from(`admin:${DEV_ADMIN_PASSWORD}`).toString('base64')}`;

beforeAll(async () => {
  h = await startHarness({ RECONCILE_GRACE_MS: '0' });
  await h.registerUsers(3);
  await h.saveCampaign('m', { limit: 1 });
});
afterAll(async () => {
  await h?.close();
});

/** The value of one sample, e.g. sample(text, 'promotion_claims_total{outcome="won"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('API and worker: requests by route and outcome, latency, claims, queue depth, jobs, reconcile runs and fixes', async () => {
  await h.login('user1', TEST_PASSWORD, 'm');
  await h.login('user2', TEST_PASSWORD, 'm');
  await h.login('user3', 'wrong', 'm');

  // Drift for reconciliation to fix: the counter disappears; an operator asks for a run.
  const counterKey = campaignKeys(h.config.redis.keyPrefix, 'm').counter;
  await h.api.redis.del(counterKey);
  const worker = await h.startWorker();
  const reconcile = h.http.post('/admin/campaigns/m/reconcile').set('authorization', admin);
  expect((await reconcile.set('content-type', 'application/json')).status).toBe(202);
  const deadline = Date.now() + 15_000;
  while ((await h.api.redis.get(counterKey)) === null && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await h.drainQueue();

  expect((await h.http.get('/metrics')).status).toBe(404); // never on the public port
  const response = await h.metricsHttp.get('/metrics');
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = response.text;
  const login = 'method="POST",route="/api/login-campaign"';
  const vouchers = `queue="${QUEUE_NAMES.voucherIssue}"`;
  expect(sample(text, `promotion_http_requests_total{${login},status="200",outcome="ok"}`)).toBe(1);
  expect(sample(text, `promotion_http_requests_total{${login},status="200",outcome="CAMPAIGN_FULL"}`)).toBe(1);
  expect(sample(text, `promotion_http_requests_total{${login},status="401",outcome="INVALID_CREDENTIALS"}`)).toBe(1);
  expect(sample(text, `promotion_http_request_duration_seconds_count{${login}}`)).toBe(3);
  expect(sample(text, 'promotion_claims_total{outcome="won"}')).toBe(1);
  expect(sample(text, 'promotion_claims_total{outcome="full"}')).toBe(1);
  expect(sample(text, `promotion_queue_jobs{${vouchers},state="completed"}`)).toBe(1);
  expect(sample(text, `promotion_queue_jobs{${vouchers},state="waiting"}`)).toBe(0);
  expect(sample(text, `promotion_queue_oldest_job_age_seconds{${vouchers}}`)).toBe(0);
  expect(sample(text, 'promotion_dependency_up{dependency="redis"}')).toBe(1);
  expect(sample(text, 'promotion_dependency_up{dependency="mongo"}')).toBe(1);
  // Node's standard metrics under their standard names, for stock dashboards.
  expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  expect(text).not.toContain('promotion_process_');

  // The worker's own listener: its jobs, its reconciliation runs and what they fixed, and the queues.
  // The counter may be back from the worker's own start-up pass before the operator's run is counted: wait
  // for that run, not for the counter. Then one more, now that the voucher is written: the gauge of winners
  // without a voucher is what the last pass counted.
  const scrape = async () => (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
  const onDemandRuns = 'promotion_reconcile_runs_total{trigger="on_demand",result="ok"}';
  const untilRuns = async (runs: number) => {
    const runDeadline = Date.now() + 15_000;
    let seen = await scrape();
    while ((sample(seen, onDemandRuns) ?? 0) < runs && Date.now() < runDeadline) {
      await new Promise((r) => setTimeout(r, 100));
      seen = await scrape();
    }
    return seen;
  };
  await untilRuns(1);
  await h.drainQueue();
  const again = h.http.post('/admin/campaigns/m/reconcile').set('authorization', admin);
  expect((await again.set('content-type', 'application/json')).status).toBe(202);
  const workerText = await untilRuns(2);
  expect(sample(workerText, onDemandRuns)).toBe(2);
  expect(sample(workerText, `promotion_jobs_total{${vouchers},result="completed"}`)).toBe(1);
  expect(sample(workerText, `promotion_job_duration_seconds_count{${vouchers}}`)).toBe(1);
  expect(sample(workerText, 'promotion_reconcile_fixed_total{kind="counterRaised"}')).toBe(1);
  expect(sample(workerText, 'promotion_winners_without_voucher')).toBe(0);
  expect(sample(workerText, `promotion_queue_jobs{${vouchers},state="completed"}`)).toBe(1);
  expect(sample(workerText, 'process_resident_memory_bytes')).toBeGreaterThan(0);

  // Valid exposition text: one HELP and one TYPE per metric, however many queues there are.
  const helps = text.split('\n').filter((l) => l.startsWith('# HELP '));
  expect(new Set(helps).size).toBe(helps.length);
  const types = text
    .split('\n')
    .filter((l) => l.startsWith('# TYPE '))
    .map((l) => l.split(' ')[2]);
  expect(new Set(types).size).toBe(types.length);
});

test('the worker answers /health and /ready on its own port, and stops being ready when it stops', async () => {
  const worker = await h.startWorker();
  const base = `http://127.0.0.1:${worker.port}`;
  expect((await fetch(`${base}/health`)).status).toBe(200);
  const ready = await fetch(`${base}/ready`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({
    status: true,
    dependencies: { redis: 'up', mongo: 'up' },
    workers: { voucherIssue: 'running', reconcile: 'running' },
  });
  expect((await fetch(`${base}/nope`)).status).toBe(404);
  expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(404);
  await worker.close();
  await expect(fetch(`${base}/health`)).rejects.toThrow();
});
