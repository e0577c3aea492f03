import type { CampaignSettings } from '../../src/domain/campaign';
import type { SlotCounter } from '../../src/ports/slot-counter.port';

export interface SlotCounterSubject {
  counter: SlotCounter;
  /** Makes the counter lose everything it knows of a campaign, as a Redis restart without data would. */
  forget(campaignId: string): Promise<void>;
}

const HOUR = 60 * 60 * 1000;

/** Settings running from an hour ago, open-ended, unless told otherwise. */
export function settings(limit: number, changes: Partial<CampaignSettings> = {}): CampaignSettings {
  return { limit, paused: false, version: 1, startsAt: new Date(Date.now() - HOUR), endsAt: null, ...changes };
}

/** What every SlotCounter must do; run against the in-memory fake and the Redis adapter alike. */
export function slotCounterContract(name: string, subject: () => SlotCounterSubject): void {
  describe(`SlotCounter contract: ${name}`, () => {
    let counter: SlotCounter;
    let forget: (campaignId: string) => Promise<void>;
    let n = 0;
    let id: string;
    beforeEach(() => {
      ({ counter, forget } = subject());
      id = `c${++n}-${Date.now()}`;
    });

    test('an unknown campaign is not ready, never silently started', async () => {
      expect(await counter.claim(id, 'u1')).toEqual({ kind: 'not_ready', reason: 'campaign_missing' });
      expect(await counter.readCounter(id)).toBeNull();
    });

    test('hands out 1..limit once each, then answers full; a holder keeps their slot', async () => {
      expect(await counter.publish(id, settings(2, { version: 3 }), true)).toEqual({ kind: 'published', counter: 0 });
      expect(await counter.claim(id, 'a')).toEqual({ kind: 'won', slot: 1, limit: 2, version: 3 });
      expect(await counter.claim(id, 'b')).toEqual({ kind: 'won', slot: 2, limit: 2, version: 3 });
      expect(await counter.claim(id, 'c')).toEqual({ kind: 'full', limit: 2, stateVersion: expect.any(Number) });
      expect(await counter.claim(id, 'a')).toEqual({ kind: 'held', slot: 1, limit: 2, version: 3 });
      expect(await counter.readCounter(id)).toBe(2);
    });

    test('concurrent claims never share a slot', async () => {
      await counter.publish(id, settings(50), true);
      const claims = await Promise.all(Array.from({ length: 80 }, (_, i) => counter.claim(id, `u${i % 60}`)));
      const slots = claims.flatMap((c) => (c.kind === 'won' ? [c.slot] : []));
      expect(slots.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(claims.filter((c) => c.kind === 'full')).toHaveLength(10);
    });

    test('a paused campaign refuses newcomers but still answers its holders', async () => {
      await counter.publish(id, settings(5), true);
      await counter.claim(id, 'a');
      await counter.publish(id, settings(5, { paused: true, version: 2 }), false);
      expect(await counter.claim(id, 'b')).toEqual({ kind: 'paused', limit: 5 });
      expect(await counter.claim(id, 'a')).toEqual({ kind: 'held', slot: 1, limit: 5, version: 2 });
    });

    test('outside its time window a campaign answers not_active, except to a holder (who may be a recorded winner)', async () => {
      await counter.publish(id, settings(5), true);
      await counter.claim(id, 'a');
      const ended = { startsAt: new Date(Date.now() - 2 * HOUR), endsAt: new Date(Date.now() - 1_000), version: 2 };
      await counter.publish(id, settings(5, ended), false);
      expect(await counter.claim(id, 'a')).toEqual({ kind: 'held', slot: 1, limit: 5, version: 2 });
      expect(await counter.claim(id, 'b')).toEqual({ kind: 'not_active' });
      await counter.publish(id, settings(5, { startsAt: new Date(Date.now() + HOUR), version: 3 }), false);
      expect(await counter.claim(id, 'b')).toEqual({ kind: 'not_active' });
      expect(await counter.readCounter(id)).toBe(1);
    });

    test('settings are only replaced by the same or a newer version: a stale writer changes nothing', async () => {
      await counter.publish(id, settings(5, { version: 4 }), true);
      await counter.publish(id, settings(5, { version: 7, paused: true }), false);
      expect(await counter.publish(id, settings(9, { version: 6, paused: false }), false)).toEqual({
        kind: 'stale',
        version: 7,
      });
      expect(await counter.inspect(id)).toMatchObject({ limit: 5, paused: true, version: 7 });
      expect(await counter.publish(id, settings(5, { version: 7, paused: true }), false)).toEqual({
        kind: 'published',
        counter: 0,
      });
    });

    test('refuses a limit below the counter and changes nothing; accepts one equal to it', async () => {
      await counter.publish(id, settings(5), true);
      await counter.claim(id, 'a');
      await counter.claim(id, 'b');
      expect(await counter.publish(id, settings(1, { paused: true, version: 2 }), false)).toEqual({
        kind: 'limit_below_counter',
        counter: 2,
      });
      expect(await counter.claim(id, 'c')).toEqual({ kind: 'won', slot: 3, limit: 5, version: 1 }); // nothing applied
      expect(await counter.publish(id, settings(3, { version: 3 }), false)).toEqual({ kind: 'published', counter: 3 });
      expect(await counter.claim(id, 'd')).toEqual({ kind: 'full', limit: 3, stateVersion: expect.any(Number) });
    });

    test('a counter whose settings were rolled back comes down to the stored floor as they are published, and only then', async () => {
      // Redis went back to version 1 (limit 6) while the database moved on to version 3 (limit 4).
      await counter.publish(id, settings(6), true);
      for (const user of ['a', 'b', 'c', 'd', 'e', 'f']) await counter.claim(id, user);
      // A limit below the floor is refused and nothing changes, the counter included.
      expect(
        await counter.publish(id, settings(3, { version: 4 }), false, { superseded: { version: 3, floor: 4 } }),
      ).toEqual({
        kind: 'limit_below_counter',
        counter: 4,
      });
      expect(await counter.readCounter(id)).toBe(6);
      expect(
        await counter.publish(id, settings(4, { version: 4 }), false, { superseded: { version: 3, floor: 4 } }),
      ).toEqual({
        kind: 'published',
        counter: 4,
      });
      expect(await counter.readCounter(id)).toBe(4);
      // Settings at the stored version are current: slots handed out under them count, nothing comes down.
      expect(await counter.publish(id, settings(6, { version: 5 }), false)).toEqual({ kind: 'published', counter: 4 });
      await counter.claim(id, 'g');
      await counter.claim(id, 'h');
      expect(
        await counter.publish(id, settings(4, { version: 6 }), false, { superseded: { version: 5, floor: 4 } }),
      ).toEqual({
        kind: 'limit_below_counter',
        counter: 6,
      });
      expect(await counter.readCounter(id)).toBe(6);
    });

    test('strict: a version already stored is refused (of two saves that read the same version, only the first writes)', async () => {
      await counter.publish(id, settings(5, { version: 2 }), true);
      expect(await counter.publish(id, settings(9, { version: 3 }), false, { strict: true })).toEqual({
        kind: 'published',
        counter: 0,
      });
      expect(await counter.publish(id, settings(4, { version: 3 }), false, { strict: true })).toEqual({
        kind: 'stale',
        version: 3,
      });
      expect((await counter.inspect(id)).limit).toBe(9);
      // Not strict: the same version written again (republishing what the database holds).
      expect(await counter.publish(id, settings(9, { version: 3 }), false)).toEqual({ kind: 'published', counter: 0 });
    });

    test('settings the database refused: put back, the counter comes down to the stored floor; at any other version it does not', async () => {
      // Version 2 (limit 3) is stored; a save published version 3 (limit 8) and its store failed.
      await counter.publish(id, settings(3, { version: 2 }), true);
      await counter.publish(id, settings(8, { version: 3 }), false, { strict: true });
      for (const user of ['a', 'b', 'c', 'd', 'e', 'f']) await counter.claim(id, user);
      const putBack = { superseded: { version: 2, floor: 3, refused: 3 }, strict: true };
      expect(await counter.publish(id, settings(3, { version: 4 }), false, putBack)).toEqual({
        kind: 'published',
        counter: 3,
      });
      expect(await counter.inspect(id)).toMatchObject({ counter: 3, limit: 3, version: 4 });
      // Version 4 is not the refused one: a later put back of version 3 changes nothing of it.
      await counter.publish(id, settings(6, { version: 5 }), false);
      await counter.claim(id, 'g');
      await counter.claim(id, 'h');
      expect(
        await counter.publish(id, settings(3, { version: 6 }), false, {
          strict: true,
          superseded: { version: 5, floor: 3, refused: 3 },
        }),
      ).toEqual({ kind: 'limit_below_counter', counter: 5 });
      expect(await counter.readCounter(id)).toBe(5);
    });

    test('settings published over ones not in force drop the slot map (its holders may be from them); in force, it stays', async () => {
      await counter.publish(id, settings(5), true);
      await counter.claim(id, 'a');
      await counter.claim(id, 'b');
      await counter.publish(id, settings(5, { version: 2 }), false, { superseded: { version: 1, floor: 5 } });
      expect(await counter.inspect(id)).toMatchObject({ holders: 2, counter: 2 });
      // The database is at version 4 (a pause, say, that Redis lost): the counter ran under version 2.
      await counter.publish(id, settings(5, { version: 5 }), false, { superseded: { version: 4, floor: 5 } });
      expect(await counter.inspect(id)).toMatchObject({ holders: 0, counter: 2, version: 5 });
      expect(await counter.claim(id, 'c')).toMatchObject({ kind: 'won', slot: 3 });
    });

    test('a full answer carries the state version; every change of slots or settings moves it, a full answer does not', async () => {
      await counter.publish(id, settings(1), true);
      await counter.claim(id, 'a');
      const stateOf = async (user: string) => {
        const claim = await counter.claim(id, user);
        if (claim.kind !== 'full' || claim.stateVersion === undefined) throw new Error(`not full: ${claim.kind}`);
        return claim.stateVersion;
      };
      const first = await stateOf('b');
      expect(await stateOf('c')).toBe(first); // answering full changes nothing
      await counter.publish(id, settings(1, { version: 2, paused: false }), false);
      const afterPublish = await stateOf('b');
      expect(afterPublish).toBeGreaterThan(first);
      await counter.moveSlot(id, 'a', 1, null);
      expect(await stateOf('b')).toBeGreaterThan(afterPublish);
    });

    test('reassign: a holder of the stale slot gets the next slot; the stale one is not freed', async () => {
      await counter.publish(id, settings(3, { version: 2 }), true);
      await counter.claim(id, 'a');
      await counter.claim(id, 'b');
      expect(await counter.reassign(id, 'a', 1)).toEqual({ kind: 'won', slot: 3, limit: 3, version: 2 });
      expect(await counter.claim(id, 'a')).toEqual({ kind: 'held', slot: 3, limit: 3, version: 2 });
      expect(await counter.inspect(id)).toMatchObject({ counter: 3, holders: 2, free: 0 });
    });

    test('reassign: with no slot left the answer is full and the stale slot is dropped', async () => {
      await counter.publish(id, settings(2), true);
      await counter.claim(id, 'a');
      await counter.claim(id, 'b');
      expect(await counter.reassign(id, 'a', 1)).toMatchObject({ kind: 'full', limit: 2 });
      expect(await counter.inspect(id)).toMatchObject({ counter: 2, holders: 1, free: 0 });
      expect(await counter.claim(id, 'a')).toMatchObject({ kind: 'full', limit: 2 }); // holds nothing now
      expect(await counter.claim(id, 'b')).toEqual({ kind: 'held', slot: 2, limit: 2, version: 1 });
    });

    test('reassign changes nothing for a user who no longer holds the stale slot, and tells what they hold', async () => {
      await counter.publish(id, settings(5), true);
      await counter.claim(id, 'a');
      expect(await counter.reassign(id, 'a', 4)).toEqual({ kind: 'changed', slot: 1 });
      expect(await counter.reassign(id, 'nobody', 1)).toEqual({ kind: 'changed', slot: null });
      expect(await counter.inspect(id)).toMatchObject({ counter: 1, holders: 1, free: 0 });
      expect(await counter.claim(id, 'a')).toEqual({ kind: 'held', slot: 1, limit: 5, version: 1 });
    });

    test('reassign on a campaign the counter knows nothing of is not ready', async () => {
      expect(await counter.reassign(id, 'a', 1)).toEqual({ kind: 'not_ready', reason: 'campaign_missing' });
      expect(await counter.readCounter(id)).toBeNull();
    });

    test('moveSlot points an entry elsewhere only while it holds fromSlot, and says whether it did', async () => {
      await counter.publish(id, settings(5), true);
      await counter.claim(id, 'a');
      await counter.claim(id, 'b');
      expect(await counter.moveSlot(id, 'a', 2, 4)).toBe(false); // a holds 1
      expect(await counter.moveSlot(id, 'nobody', 1, 4)).toBe(false);
      expect(await counter.claim(id, 'a')).toEqual({ kind: 'held', slot: 1, limit: 5, version: 1 });
      expect(await counter.moveSlot(id, 'a', 1, 4)).toBe(true);
      expect(await counter.claim(id, 'a')).toEqual({ kind: 'held', slot: 4, limit: 5, version: 1 });
      expect(await counter.moveSlot(id, 'a', 1, 5)).toBe(false); // moved already
      expect(await counter.readCounter(id)).toBe(2); // moving an entry hands nothing out
    });

    test('moveSlot of two racers from the same slot: only one moves it', async () => {
      await counter.publish(id, settings(5), true);
      await counter.claim(id, 'a');
      const moved = await Promise.all([counter.moveSlot(id, 'a', 1, 3), counter.moveSlot(id, 'a', 1, 4)]);
      expect(moved.filter(Boolean)).toHaveLength(1);
      const expected = moved[0] ? 3 : 4;
      expect(await counter.claim(id, 'a')).toEqual({ kind: 'held', slot: expected, limit: 5, version: 1 });
    });

    test('moveSlot to null removes the entry; the slot given up is left unfree, for reconciliation', async () => {
      await counter.publish(id, settings(5), true);
      await counter.claim(id, 'a');
      await counter.claim(id, 'b');
      expect(await counter.moveSlot(id, 'a', 1, null)).toBe(true);
      expect(await counter.inspect(id)).toMatchObject({ counter: 2, holders: 1, free: 0 });
      expect(await counter.claim(id, 'a')).toEqual({ kind: 'won', slot: 3, limit: 5, version: 1 }); // not slot 1
    });

    test('giveUp removes the entry and frees its slot at once, within the counter and the limit only', async () => {
      await counter.publish(id, settings(5), true);
      await counter.claim(id, 'a');
      await counter.claim(id, 'b');
      expect(await counter.giveUp(id, 'a', 2)).toBe(false); // a holds 1: nothing changes
      expect(await counter.inspect(id)).toMatchObject({ counter: 2, holders: 2, free: 0 });
      expect(await counter.giveUp(id, 'a', 1)).toBe(true);
      expect(await counter.inspect(id)).toMatchObject({ counter: 2, holders: 1, free: 1 });
      expect(await counter.claim(id, 'c')).toEqual({ kind: 'won', slot: 1, limit: 5, version: 1 }); // the freed one
      expect(await counter.giveUp(id, 'a', 1)).toBe(false); // given up already
      expect(await counter.inspect(id)).toMatchObject({ counter: 2, holders: 2, free: 0 });
    });

    test('giveUp of a slot above the limit removes the entry and frees nothing', async () => {
      await counter.publish(id, settings(3), true);
      await counter.claim(id, 'a');
      await counter.claim(id, 'b');
      await counter.claim(id, 'c');
      await counter.moveSlot(id, 'c', 3, 7); // an entry past the limit (a counter that ran under other settings)
      expect(await counter.giveUp(id, 'c', 7)).toBe(true);
      expect(await counter.inspect(id)).toMatchObject({ counter: 3, holders: 2, free: 0 });
    });

    test('inspect tells counter, settings, version, holders and free slots', async () => {
      expect(await counter.inspect(id)).toEqual({
        counter: null,
        limit: null,
        paused: false,
        version: null,
        holders: 0,
        free: 0,
      });
      await counter.publish(id, settings(4, { paused: true, version: 2 }), true);
      expect(await counter.inspect(id)).toEqual({
        counter: 0,
        limit: 4,
        paused: true,
        version: 2,
        holders: 0,
        free: 0,
      });
    });

    test('only the explicit reset lowers the counter; it forgets every slot', async () => {
      await counter.publish(id, settings(3), true);
      await counter.claim(id, 'a');
      await counter.claim(id, 'b');
      await counter.reset(id);
      expect(await counter.readCounter(id)).toBe(0);
      expect(await counter.claim(id, 'b')).toEqual({ kind: 'won', slot: 1, limit: 3, version: 1 });
    });

    test('a lowering over a counter that lost its slots, or runs settings not in force, is refused and changes nothing', async () => {
      await counter.publish(id, settings(10), true);
      for (const user of ['a', 'b', 'c']) await counter.claim(id, user);
      // Lost everything: the settings and the counter.
      await forget(id);
      const lower = settings(2, { version: 2 });
      const inForce = { superseded: { version: 1, floor: 10 }, strict: true };
      expect(await counter.publish(id, lower, false, { ...inForce, lowering: true })).toEqual({ kind: 'not_in_force' });
      expect((await counter.inspect(id)).version).toBeNull(); // nothing written
      // Settings back (reconciliation republishing the database's), the counter still missing.
      expect(await counter.publish(id, settings(10), false, { superseded: { version: 1, floor: 10 } })).toEqual({
        kind: 'counter_missing',
      });
      expect(await counter.publish(id, lower, false, { ...inForce, lowering: true })).toEqual({ kind: 'not_in_force' });
      expect((await counter.inspect(id)).limit).toBe(10);
      // Any other change still goes through (a pause is never refused), and so does a lowering not flagged.
      expect(await counter.publish(id, settings(10, { version: 2, paused: true }), false, inForce)).toEqual({
        kind: 'counter_missing',
      });
      expect(await counter.publish(id, settings(2, { version: 3 }), false, inForce)).toEqual({
        kind: 'counter_missing',
      });
      expect((await counter.inspect(id)).limit).toBe(2);

      // Settings rolled back under a counter that is there: not in force either.
      const other = `${id}-rolled`;
      await counter.publish(other, settings(10, { version: 3 }), true);
      await counter.claim(other, 'a');
      const rolledBack = { superseded: { version: 4, floor: 10 }, strict: true };
      expect(
        await counter.publish(other, settings(2, { version: 5 }), false, { ...rolledBack, lowering: true }),
      ).toEqual({ kind: 'not_in_force' });
      expect(await counter.inspect(other)).toMatchObject({ limit: 10, version: 3, counter: 1, holders: 1 });
      // In force: a lowering is checked against the counter as before.
      const current = { superseded: { version: 3, floor: 10 }, strict: true };
      expect(await counter.publish(other, settings(2, { version: 4 }), false, { ...current, lowering: true })).toEqual({
        kind: 'published',
        counter: 1,
      });
    });

    test('after losing its data it stays closed; only a fresh campaign gets a new counter', async () => {
      await counter.publish(id, settings(5), true);
      await counter.claim(id, 'a');
      await forget(id);
      expect(await counter.claim(id, 'b')).toEqual({ kind: 'not_ready', reason: 'campaign_missing' });
      expect(await counter.publish(id, settings(5), false)).toEqual({ kind: 'counter_missing' });
      expect(await counter.claim(id, 'b')).toEqual({ kind: 'not_ready', reason: 'counter_missing' });
      expect(await counter.readCounter(id)).toBeNull();
    });
  });
}
