import { ConcurrencyGate } from '../../src/application/support/concurrency-gate';

test('runs at most maxRunning at once, queues maxWaiting, refuses the rest at once with SERVER_BUSY', async () => {
  const gate = new ConcurrencyGate({ maxRunning: 2, maxWaiting: 1, maxWaitMs: Infinity });
  let running = 0;
  let peak = 0;
  const releases: (() => void)[] = [];
  const task = () =>
    gate.run(async () => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running -= 1;
      return 'done';
    });
  const first = [task(), task(), task()]; // two run, one waits
  await expect(task()).rejects.toMatchObject({ code: 'SERVER_BUSY' });
  await new Promise((r) => setImmediate(r));
  expect(running).toBe(2);
  releases.shift()?.();
  await new Promise((r) => setImmediate(r));
  expect(running).toBe(2); // the waiting one took the freed place
  releases.splice(0).forEach((release) => release());
  await new Promise((r) => setImmediate(r));
  releases.splice(0).forEach((release) => release());
  expect(await Promise.all(first)).toEqual(['done', 'done', 'done']);
  expect(peak).toBe(2);
  await expect(gate.run(async () => 'again')).resolves.toBe('again'); // places all returned
});

test('a failing task gives its place back', async () => {
  const gate = new ConcurrencyGate({ maxRunning: 1, maxWaiting: 0, maxWaitMs: Infinity });
  await expect(gate.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  await expect(gate.run(async () => 'next')).resolves.toBe('next');
});

describe('bounded by time', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** A gate whose tasks took `ms` each so far (the running average the expected wait is made of). */
  async function gateOfTasksTaking(ms: number, limits: { maxRunning: number; maxWaitMs: number }) {
    const gate = new ConcurrencyGate({ ...limits, maxWaiting: 1_000 });
    for (let i = 0; i < 30; i++) {
      const done = gate.run(() => new Promise((resolve) => setTimeout(resolve, ms)));
      await jest.advanceTimersByTimeAsync(ms);
      await done;
    }
    return gate;
  }

  test('a task whose turn is not expected within maxWaitMs is refused at once, Retry-After sized to the line', async () => {
    const gate = await gateOfTasksTaking(400, { maxRunning: 2, maxWaitMs: 1_900 });
    const holders = Array.from({ length: 2 }, () => gate.run(() => new Promise((r) => setTimeout(r, 60_000))));
    const waiters = Array.from({ length: 9 }, () => gate.run(async () => 'ran')); // 9 x 400 / 2 = 1.8 s
    const settled = Promise.allSettled([...holders, ...waiters]);
    const refused = gate.run(async () => 'ran'); // the 10th would wait about 2 s, more than 1.9
    await expect(refused).rejects.toMatchObject({
      code: 'SERVER_BUSY',
      details: { retryAfterSeconds: 2 },
    });
    expect(gate.refusalNow()).toMatchObject({ code: 'SERVER_BUSY' });
    await jest.advanceTimersByTimeAsync(60_000);
    const outcomes = await settled;
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(9); // waited 1.9 s, then gave up
  });

  test('a task still waiting when maxWaitMs passes gives up with SERVER_BUSY, and the line moves on', async () => {
    const gate = await gateOfTasksTaking(10, { maxRunning: 1, maxWaitMs: 500 });
    const holder = gate.run(() => new Promise((r) => setTimeout(r, 5_000))); // slower than its average
    const waiter = gate.run(async () => 'ran');
    const outcome = waiter.then(
      () => 'ran',
      (error: { code: string }) => error.code,
    );
    await jest.advanceTimersByTimeAsync(499);
    await jest.advanceTimersByTimeAsync(1);
    expect(await outcome).toBe('SERVER_BUSY');
    await jest.advanceTimersByTimeAsync(5_000);
    await holder;
    await expect(gate.run(async () => 'next')).resolves.toBe('next'); // no place was lost
  });
});
