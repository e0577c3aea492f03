import { CachedCampaignStore } from '../../src/adapters/memory/cached-campaign-store';
import { InMemoryCampaignStore } from '../support/fakes/in-memory-stores';
import { campaignFixture } from '../support/fixtures';

const campaign = (id: string, endsAt: Date | null = null) => campaignFixture(id, { endsAt });

let clock = 0;
let store: InMemoryCampaignStore;
let cache: CachedCampaignStore;
beforeEach(async () => {
  clock = 0;
  store = new InMemoryCampaignStore();
  await store.save(campaign('a'), null);
  cache = new CachedCampaignStore(store, 1_000, () => clock);
});

test('reads once per time-to-live, and concurrent misses share one read', async () => {
  const reads = jest.spyOn(store, 'findById');
  const first = await Promise.all(Array.from({ length: 50 }, () => cache.findById('a')));
  expect(first.every((c) => c?.id === 'a')).toBe(true);
  expect(reads).toHaveBeenCalledTimes(1);
  await store.save({ ...campaign('a'), name: 'renamed' }, 1);
  clock = 999;
  expect((await cache.findById('a'))?.name).toBe('a'); // still within the time-to-live
  clock = 1_000;
  expect((await cache.findById('a'))?.name).toBe('renamed');
  expect(reads).toHaveBeenCalledTimes(2);
});

test('the running list is filtered again at the time asked, and refreshed after the time-to-live', async () => {
  await store.save(campaign('ending', new Date('2026-06-01T00:00:00.500Z')), null);
  const now = new Date('2026-06-01T00:00:00Z');
  expect((await cache.listRunning(now)).map((c) => c.id).sort()).toEqual(['a', 'ending']);
  expect((await cache.listRunning(new Date('2026-06-01T00:00:01Z'))).map((c) => c.id)).toEqual(['a']);
  await store.save(campaign('b'), null);
  clock = 1_000;
  expect((await cache.listRunning(now)).map((c) => c.id).sort()).toEqual(['a', 'b', 'ending']);
});

test('a failed read is not cached; invalidate forgets at once', async () => {
  jest.spyOn(store, 'findById').mockRejectedValueOnce(new Error('database down'));
  await expect(cache.findById('a')).rejects.toThrow('database down');
  expect((await cache.findById('a'))?.id).toBe('a');
  await store.save({ ...campaign('a'), name: 'changed' }, 1);
  cache.invalidate();
  expect((await cache.findById('a'))?.name).toBe('changed');
});

test('with a time-to-live of 0 nothing is kept', async () => {
  const uncached = new CachedCampaignStore(store, 0, () => clock);
  const reads = jest.spyOn(store, 'findById');
  await uncached.findById('a');
  await uncached.findById('a');
  expect(reads).toHaveBeenCalledTimes(2);
});

test('peek answers only from a fresh read that has answered: never reads, never waits', async () => {
  const reads = jest.spyOn(store, 'findById');
  expect(cache.peek('a')).toBeUndefined(); // never read
  const reading = cache.findById('a');
  expect(cache.peek('a')).toBeUndefined(); // read under way
  await reading;
  expect(cache.peek('a')?.id).toBe('a');
  await cache.findById('missing');
  expect(cache.peek('missing')).toBeNull(); // cached as not existing
  clock = 1_000;
  expect(cache.peek('a')).toBeUndefined(); // past the time-to-live: only a read would tell
  expect(reads).toHaveBeenCalledTimes(2);
  jest.spyOn(store, 'findById').mockRejectedValueOnce(new Error('database down'));
  await expect(cache.findById('a')).rejects.toThrow('database down');
  expect(cache.peek('a')).toBeUndefined(); // a failed read is no answer
  await cache.findById('a');
  cache.invalidate();
  expect(cache.peek('a')).toBeUndefined();
});

describe('read ahead', () => {
  test('past half its time-to-live an entry is read again in the background; nobody waits, nothing expires', async () => {
    const reads = jest.spyOn(store, 'findById');
    await cache.findById('a');
    await store.save({ ...campaign('a'), name: 'renamed' }, 1);
    clock = 499;
    expect(cache.peek('a')?.name).toBe('a');
    expect(reads).toHaveBeenCalledTimes(1); // not yet half way
    clock = 500;
    expect(cache.peek('a')?.name).toBe('a'); // served what it has, and reads again
    expect(cache.peek('a')?.name).toBe('a');
    expect(reads).toHaveBeenCalledTimes(2); // one read ahead at a time
    await Promise.resolve();
    await Promise.resolve();
    expect(cache.peek('a')?.name).toBe('renamed');
    clock = 999;
    expect(cache.peek('a')?.name).toBe('renamed');
    expect(reads).toHaveBeenCalledTimes(2); // the second read is not yet half way
    clock = 1_400; // past the first read's time-to-live, within the second's: served without a wait
    expect(cache.peek('a')?.name).toBe('renamed');
    expect(reads).toHaveBeenCalledTimes(3); // and the second is half way: read ahead again
  });

  test('a value is never served longer than the time-to-live after its read began', async () => {
    let answer: (value: ReturnType<typeof campaign> | null) => void = () => {};
    await cache.findById('a');
    clock = 600;
    jest.spyOn(store, 'findById').mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)));
    expect(cache.peek('a')?.name).toBe('a'); // read ahead, still under way
    clock = 1_000;
    expect(cache.peek('a')).toBeUndefined(); // expired: the slow read ahead does not extend it
    const waiting = cache.findById('a'); // a read of its own
    answer({ ...campaign('a'), name: 'late' });
    expect((await waiting)?.name).toBe('a'); // the store's current value, not the late read ahead
    clock = 1_001;
    expect(cache.peek('a')?.name).toBe('a');
  });

  test('a read ahead that fails changes nothing, and one answered after invalidate is not installed', async () => {
    await cache.findById('a');
    clock = 500;
    jest.spyOn(store, 'findById').mockRejectedValueOnce(new Error('database down'));
    expect(cache.peek('a')?.name).toBe('a');
    await new Promise((resolve) => setImmediate(resolve));
    expect(cache.peek('a')?.name).toBe('a'); // kept until its own expiry
    clock = 1_000;
    expect(cache.peek('a')).toBeUndefined();

    await cache.findById('a'); // read at 1000
    clock = 1_600;
    let answer: (value: ReturnType<typeof campaign> | null) => void = () => {};
    jest.spyOn(store, 'findById').mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)));
    cache.peek('a'); // read ahead under way
    await store.save({ ...campaign('a'), name: 'changed' }, 1);
    cache.invalidate(); // an operator's change in this process
    const fresh = await cache.findById('a');
    expect(fresh?.name).toBe('changed');
    answer({ ...campaign('a'), name: 'from before the change' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(cache.peek('a')?.name).toBe('changed');
  });

  test('the running list is read ahead too', async () => {
    const reads = jest.spyOn(store, 'listRunning');
    const now = new Date('2026-06-01T00:00:00Z');
    await cache.listRunning(now);
    await store.save(campaign('b'), null);
    clock = 500;
    expect((await cache.listRunning(now)).map((c) => c.id)).toEqual(['a']); // served, read again
    await new Promise((resolve) => setImmediate(resolve));
    expect((await cache.listRunning(now)).map((c) => c.id).sort()).toEqual(['a', 'b']);
    expect(reads).toHaveBeenCalledTimes(2);
  });
});
