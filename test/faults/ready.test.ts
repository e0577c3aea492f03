import { sendJson } from '../support/http-client';
import { startFaultRig, type FaultRig } from '../support/fault-rig';

/** /ready reports 503, naming the dependency, as soon as Redis or the database stops answering. */
let rig: FaultRig;

beforeAll(async () => {
  rig = await startFaultRig();
});
afterAll(async () => {
  await rig?.close();
});

const ready = () => sendJson<{ status: boolean; dependencies: Record<string, string> }>('GET', `${rig.baseUrl}/ready`);

test('ready once its peers have counted it in (they split the attempt limits by the processes alive)', async () => {
  const deadline = Date.now() + 10_000;
  while ((await ready()).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect((await ready()).body).toEqual({ status: true, dependencies: { redis: 'up', mongo: 'up', peers: 'up' } });
});

test('ready while both answer; 503 naming Redis when it is frozen; ready again when it thaws', async () => {
  expect((await ready()).body).toEqual({ status: true, dependencies: { redis: 'up', mongo: 'up', peers: 'up' } });
  rig.redis.freeze();
  try {
    const started = Date.now();
    const answer = await ready();
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('1');
    expect(answer.body).toMatchObject({
      status: false,
      errorCode: 'SERVICE_UNAVAILABLE',
      dependencies: { redis: 'down', mongo: 'up', peers: 'up' },
    });
    expect(Date.now() - started).toBeLessThan(1_000);
  } finally {
    rig.redis.thaw();
  }
  expect((await ready()).status).toBe(200);
});

test('503 naming the database when it is stopped; ready again when it is back', async () => {
  await rig.ferret.stop();
  try {
    const answer = await ready();
    expect(answer.status).toBe(503);
    expect(answer.body.dependencies).toEqual({ redis: 'up', mongo: 'down', peers: 'up' });
  } finally {
    await rig.ferret.restart();
  }
  const deadline = Date.now() + 15_000;
  while ((await ready()).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  expect((await ready()).status).toBe(200);
});

test('with Redis frozen, the API and worker metrics pages still answer, saying promotion_dependency_up{dependency="redis"} 0', async () => {
  const workers = await rig.startWorkers();
  try {
    rig.redis.freeze();
    try {
      const started = Date.now();
      const [api, worker] = await Promise.all([
        rig.api.metrics.registry.metrics(),
        fetch(`http://127.0.0.1:${workers.port}/metrics`).then(async (r) => ({
          status: r.status,
          text: await r.text(),
        })),
      ]);
      const tookMs = Date.now() - started;
      expect(worker.status).toBe(200);
      for (const page of [api, worker.text]) {
        expect(page).toMatch(/^promotion_dependency_up\{dependency="redis"\} 0$/m);
        expect(page).toMatch(/^promotion_dependency_up\{dependency="mongo"\} 1$/m);
        expect(page).not.toMatch(/^promotion_queue_jobs\{/m); // no figure rather than a stale one
      }
      expect(tookMs).toBeLessThan(3_000);
    } finally {
      rig.redis.thaw();
    }
    const text = await rig.api.metrics.registry.metrics();
    expect(text).toMatch(/^promotion_dependency_up\{dependency="redis"\} 1$/m);
    expect(text).toMatch(/^promotion_queue_jobs\{/m);
  } finally {
    await workers.close();
  }
});
