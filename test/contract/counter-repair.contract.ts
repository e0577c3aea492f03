import type { CounterRepair } from '../../src/ports/counter-repair.port';
import type { SlotCounter } from '../../src/ports/slot-counter.port';
import { settings } from './slot-counter.contract';

export interface CounterRepairSubject {
  /** The repair side and the counter it repairs (one adapter implements both). */
  counter: SlotCounter & CounterRepair;
}

const HOUR = 60 * 60 * 1000;

/**
 * What every CounterRepair must do; run against the in-memory fake and the Redis adapter alike. The
 * reconciliation unit tests repair the fake: this suite is what makes their verdicts hold for Redis.
 */
export function counterRepairContract(name: string, subject: () => CounterRepairSubject): void {
  describe(`CounterRepair contract: ${name}`, () => {
    let c: SlotCounter & CounterRepair;
    let n = 0;
    let id: string;
    beforeEach(() => {
      ({ counter: c } = subject());
      id = `r${++n}-${Date.now()}`;
    });

    /** Claims slots 1..users.length for `users`, in order. */
    async function claimAll(users: readonly string[]): Promise<void> {
      for (const user of users) await c.claim(id, user);
    }

    test('snapshot of a campaign it knows nothing of: no settings, no counter, no holders, nothing free', async () => {
      expect(await c.snapshot(id)).toEqual({ settings: null, counter: null, holders: new Map(), free: [] });
    });

    test('snapshot reads the settings as published, the counter, the holders and the free slots in order', async () => {
      await c.publish(id, settings(6), true);
      await claimAll(['a', 'b', 'c', 'd']);
      await c.moveSlot(id, 'd', 4, null);
      await c.moveSlot(id, 'b', 2, null);
      await c.freeSlots(id, [4, 2]);
      const paused = settings(6, { version: 2, paused: true, endsAt: new Date(Date.now() + HOUR) });
      await c.publish(id, paused, false);
      expect(await c.snapshot(id)).toEqual({
        settings: paused,
        counter: 4,
        holders: new Map([
          ['a', 1],
          ['c', 3],
        ]),
        free: [2, 4],
      });
    });

    test('thousands of holders are restored and read back whole (both work in batches)', async () => {
      await c.publish(id, settings(3_000), true);
      const entries = Array.from({ length: 2_500 }, (_, i) => ({ userId: `u${i}`, slot: i + 1 }));
      expect(await c.restoreHolders(id, entries)).toBe(2_500);
      const { holders } = await c.snapshot(id);
      expect(holders.size).toBe(2_500);
      expect(holders.get('u0')).toBe(1);
      expect(holders.get('u2499')).toBe(2_500);
      expect((await c.inspect(id)).holders).toBe(2_500);
    });

    test('restoreHolders gives a recorded slot back only where the user has no entry, and says how many', async () => {
      await c.publish(id, settings(5), true);
      await c.claim(id, 'a');
      const restored = await c.restoreHolders(id, [
        { userId: 'a', slot: 4 },
        { userId: 'b', slot: 2 },
        { userId: 'c', slot: 3 },
      ]);
      expect(restored).toBe(2);
      expect(await c.claim(id, 'a')).toEqual({ kind: 'held', slot: 1, limit: 5, version: 1 }); // kept their own
      expect(await c.claim(id, 'b')).toEqual({ kind: 'held', slot: 2, limit: 5, version: 1 });
      expect(await c.restoreHolders(id, [{ userId: 'b', slot: 5 }])).toBe(0);
      expect(await c.restoreHolders(id, [])).toBe(0);
      expect((await c.snapshot(id)).holders.get('b')).toBe(2);
      expect(await c.readCounter(id)).toBe(1); // restoring an entry hands nothing out
    });

    test('restoreHolders under a version restores nothing under other settings (a reset or a save since)', async () => {
      await c.publish(id, settings(5), true);
      await c.publish(id, settings(5, { version: 2 }), false);
      expect(await c.restoreHolders(id, [{ userId: 'a', slot: 1 }], 1)).toBe(0);
      expect((await c.snapshot(id)).holders).toEqual(new Map());
      expect(await c.restoreHolders(id, [{ userId: 'a', slot: 1 }], 2)).toBe(1);
      expect((await c.snapshot(id)).holders).toEqual(new Map([['a', 1]]));
    });

    test('raiseCounter creates a missing counter, which re-opens claims', async () => {
      expect(await c.publish(id, settings(5), false)).toEqual({ kind: 'counter_missing' });
      expect(await c.claim(id, 'a')).toEqual({ kind: 'not_ready', reason: 'counter_missing' });
      expect(await c.raiseCounter(id, 2)).toEqual({ before: null, after: 2 });
      expect(await c.claim(id, 'a')).toEqual({ kind: 'won', slot: 3, limit: 5, version: 1 });
    });

    test('raiseCounter under a version raises nothing under other settings (a reset or a save since)', async () => {
      await c.publish(id, settings(10), true);
      await claimAll(['a', 'b', 'c']);
      expect(await c.raiseCounter(id, 6, 2)).toEqual({ before: 3, after: 3 });
      expect(await c.raiseCounter(id, 6, 1)).toEqual({ before: 3, after: 6 });
      expect(await c.readCounter(id)).toBe(6);
    });

    test("a raise under the old settings landing inside a reset (after its zeroing) is undone by the reset's publish", async () => {
      await c.publish(id, settings(3), true);
      await claimAll(['a', 'b', 'c']);
      await c.reset(id); // the reset's zeroing; its publish of the new run comes one round trip later
      expect(await c.raiseCounter(id, 3, 1)).toEqual({ before: 0, after: 3 }); // a pass that read before the reset
      await c.publish(id, settings(3, { version: 3 }), false, { superseded: { version: 3, floor: 0 } });
      expect(await c.readCounter(id)).toBe(0);
      expect(await c.claim(id, 'd')).toEqual({ kind: 'won', slot: 1, limit: 3, version: 3 });
    });

    test('raiseCounter raises and never lowers', async () => {
      await c.publish(id, settings(10), true);
      await claimAll(['a', 'b', 'c']);
      expect(await c.raiseCounter(id, 2)).toEqual({ before: 3, after: 3 });
      expect(await c.raiseCounter(id, 3)).toEqual({ before: 3, after: 3 });
      expect(await c.raiseCounter(id, 6)).toEqual({ before: 3, after: 6 });
      expect(await c.readCounter(id)).toBe(6);
      expect(await c.claim(id, 'd')).toEqual({ kind: 'won', slot: 7, limit: 10, version: 1 });
    });

    test('freeSlots takes only slots from 1 to the counter, each once; claims hand out the lowest free first', async () => {
      await c.publish(id, settings(6), true);
      await claimAll(['a', 'b', 'c', 'd']);
      await c.moveSlot(id, 'b', 2, null);
      await c.moveSlot(id, 'c', 3, null);
      expect(await c.freeSlots(id, [0, -1, 3, 2, 5, 3])).toBe(2); // 5 was never handed out
      expect(await c.freeSlots(id, [2])).toBe(0); // free already
      expect((await c.snapshot(id)).free).toEqual([2, 3]);
      expect(await c.inspect(id)).toMatchObject({ counter: 4, free: 2 });
      expect(await c.claim(id, 'e')).toEqual({ kind: 'won', slot: 2, limit: 6, version: 1 });
      expect(await c.claim(id, 'f')).toEqual({ kind: 'won', slot: 3, limit: 6, version: 1 });
      expect(await c.claim(id, 'g')).toEqual({ kind: 'won', slot: 5, limit: 6, version: 1 });
    });

    test('freeSlots takes nothing above the limit, nor without a counter or settings', async () => {
      await c.publish(id, settings(3), true);
      await c.raiseCounter(id, 6);
      expect(await c.freeSlots(id, [4, 5, 6])).toBe(0);
      expect(await c.freeSlots(id, [3])).toBe(1);
      const withoutCounter = `${id}-no-counter`;
      await c.publish(withoutCounter, settings(3), false);
      expect(await c.freeSlots(withoutCounter, [1])).toBe(0);
      const withoutSettings = `${id}-no-settings`;
      await c.raiseCounter(withoutSettings, 3);
      expect(await c.freeSlots(withoutSettings, [1])).toBe(0);
      expect(await c.snapshot(withoutSettings)).toEqual({ settings: null, counter: 3, holders: new Map(), free: [] });
    });

    test('freeSlots under a version frees nothing under other settings (a reset or a save since)', async () => {
      await c.publish(id, settings(5), true);
      await claimAll(['a', 'b', 'c']);
      await c.moveSlot(id, 'b', 2, null);
      await c.publish(id, settings(5, { version: 2, paused: true }), false);
      expect(await c.freeSlots(id, [2], 1)).toBe(0);
      expect((await c.snapshot(id)).free).toEqual([]);
      expect(await c.freeSlots(id, [2], 2)).toBe(1);
      expect((await c.snapshot(id)).free).toEqual([2]);
    });

    test('a reassigned claim takes a freed slot before the counter moves on', async () => {
      await c.publish(id, settings(5), true);
      await claimAll(['a', 'b', 'c']);
      await c.moveSlot(id, 'b', 2, null);
      await c.freeSlots(id, [2]);
      expect(await c.reassign(id, 'c', 3)).toEqual({ kind: 'won', slot: 2, limit: 5, version: 1 });
      expect(await c.inspect(id)).toMatchObject({ counter: 3, free: 0 });
    });

    test('unfreeSlots takes slots off the free list and says how many; claims then pass them by', async () => {
      await c.publish(id, settings(5), true);
      await claimAll(['a', 'b', 'c']);
      await c.moveSlot(id, 'b', 2, null);
      await c.moveSlot(id, 'c', 3, null);
      await c.freeSlots(id, [2, 3]);
      expect(await c.unfreeSlots(id, [2, 4])).toBe(1); // 4 was not on it
      expect(await c.unfreeSlots(id, [])).toBe(0);
      expect((await c.snapshot(id)).free).toEqual([3]);
      expect(await c.claim(id, 'd')).toEqual({ kind: 'won', slot: 3, limit: 5, version: 1 });
      expect(await c.claim(id, 'e')).toEqual({ kind: 'won', slot: 4, limit: 5, version: 1 });
    });

    test('suspects start empty; saveSuspects replaces them whole, campaign by campaign', async () => {
      const other = `${id}-other`;
      const seen = Date.now();
      expect(await c.suspects(id)).toEqual(new Map());
      await c.saveSuspects(
        id,
        new Map([
          ['hole:3', seen],
          ['claim:a:2', seen - 5_000],
        ]),
      );
      await c.saveSuspects(other, new Map([['hole:1', seen]]));
      expect(await c.suspects(id)).toEqual(
        new Map([
          ['hole:3', seen],
          ['claim:a:2', seen - 5_000],
        ]),
      );
      await c.saveSuspects(id, new Map([['hole:4', seen + 1]]));
      expect(await c.suspects(id)).toEqual(new Map([['hole:4', seen + 1]]));
      await c.saveSuspects(id, new Map());
      expect(await c.suspects(id)).toEqual(new Map());
      expect(await c.suspects(other)).toEqual(new Map([['hole:1', seen]]));
    });

    test('repairs next to live claims: no slot handed out twice, a restored holder and a claim agree', async () => {
      await c.publish(id, settings(60), true);
      const [claims, raised, restored] = await Promise.all([
        Promise.all(Array.from({ length: 40 }, (_, i) => c.claim(id, `u${i}`))),
        Promise.all([c.raiseCounter(id, 10), c.raiseCounter(id, 5)]),
        c.restoreHolders(id, [{ userId: 'u0', slot: 55 }]),
      ]);
      const slotOf = (claim: (typeof claims)[number]) =>
        claim.kind === 'won' || claim.kind === 'held' ? claim.slot : null;
      const slots = claims.map(slotOf);
      expect(slots.every((slot) => slot !== null)).toBe(true);
      expect(new Set(slots).size).toBe(40);
      const { holders, counter } = await c.snapshot(id);
      for (const [i, slot] of slots.entries()) expect(holders.get(`u${i}`)).toBe(slot);
      // u0 either claimed first (nothing to restore) or was restored first (and answered as a holder).
      expect(restored).toBe(claims[0]?.kind === 'held' ? 1 : 0);
      for (const { before, after } of raised) expect(after).toBeGreaterThanOrEqual(before ?? 0);
      expect(counter).toBeGreaterThanOrEqual(Math.max(10, ...slots.filter((slot) => slot !== 55).map(Number)));
    });
  });
}
