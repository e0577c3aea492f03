import { ConcurrencyGate } from '../../src/application/concurrency-gate';

test('runs at most maxRunning at once, queues maxWaiting, refuses the rest at once with SERVER_BUSY', async () => {
  const gate = new ConcurrencyGate(2, 1);
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
  const gate = new ConcurrencyGate(1, 0);
  await expect(gate.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  await expect(gate.run(async () => 'next')).resolves.toBe('next');
});
