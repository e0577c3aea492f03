import { RateLimiterMemory } from 'rate-limiter-flexible';

import { LocalShareLimiter } from '../../src/adapters/memory/local-share-limiter';

let now = 0;
let processes = 1;
const shared = new RateLimiterMemory({ points: 3, duration: 60 });
const limiter = (points: number) =>
  new LocalShareLimiter(
    points,
    60_000,
    () => processes,
    shared,
    () => now,
  );
const admitted = async (l: LocalShareLimiter, key: string, tries: number) => {
  let count = 0;
  for (let i = 0; i < tries; i++)
    await l.consume(key).then(
      () => (count += 1),
      () => undefined,
    );
  return count;
};
afterEach(() => {
  now = 0;
  processes = 1;
});

test('one process alone: the whole limit per key and window, then refusals that say when to retry', async () => {
  const l = limiter(10);
  expect(await admitted(l, 'a', 15)).toBe(10);
  await expect(l.consume('a')).rejects.toMatchObject({ msBeforeNext: 60_000 });
  expect(await admitted(l, 'b', 3)).toBe(3); // another key, its own budget
  now = 60_000;
  expect(await admitted(l, 'a', 15)).toBe(10); // a new window
  l.close();
});

test('N processes: each admits ⌊limit / N⌋ of a key; together never more than the limit', async () => {
  processes = 3;
  const each = [limiter(10), limiter(10), limiter(10)];
  const counts = await Promise.all(each.map((l) => admitted(l, 'k', 10)));
  expect(counts).toEqual([3, 3, 3]);
  expect(counts.reduce((a, b) => a + b)).toBeLessThanOrEqual(10);
  for (const l of each) l.close();
});

test('a limit below the number of processes is decided by the shared count', async () => {
  processes = 5;
  const l = limiter(3);
  expect(await admitted(l, 'x', 6)).toBe(3); // the shared limiter's 3 points
  expect(l.size()).toBe(0); // nothing counted locally
  l.close();
});
