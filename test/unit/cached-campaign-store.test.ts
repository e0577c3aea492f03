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
