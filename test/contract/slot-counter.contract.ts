import type { SlotCounter } from '../../src/ports/slot-counter.port';

export interface SlotCounterSubject {
  counter: SlotCounter;
  /** Makes the counter lose everything it knows of a campaign, as a Redis restart without data would. */
  forget(campaignId: string): Promise<void>;
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
      expect(await counter.publish({ campaignId: id, limit: 2, paused: false }, true)).toEqual({
        kind: 'published',
        counter: 0,
      });
      expect(await counter.claim(id, 'a')).toEqual({ kind: 'won', slot: 1, limit: 2 });
      expect(await counter.claim(id, 'b')).toEqual({ kind: 'won', slot: 2, limit: 2 });
      expect(await counter.claim(id, 'c')).toEqual({ kind: 'full', limit: 2 });
      expect(await counter.claim(id, 'a')).toEqual({ kind: 'held', slot: 1, limit: 2 });
      expect(await counter.readCounter(id)).toBe(2);
    });

    test('concurrent claims never share a slot', async () => {
      await counter.publish({ campaignId: id, limit: 50, paused: false }, true);
      const claims = await Promise.all(Array.from({ length: 80 }, (_, i) => counter.claim(id, `u${i % 60}`)));
      const slots = claims.flatMap((c) => (c.kind === 'won' ? [c.slot] : []));
      expect(slots.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(claims.filter((c) => c.kind === 'full')).toHaveLength(10);
    });

    test('a paused campaign refuses newcomers but still answers its holders', async () => {
      await counter.publish({ campaignId: id, limit: 5, paused: false }, true);
      await counter.claim(id, 'a');
      await counter.publish({ campaignId: id, limit: 5, paused: true }, false);
      expect(await counter.claim(id, 'b')).toEqual({ kind: 'paused', limit: 5 });
      expect(await counter.claim(id, 'a')).toEqual({ kind: 'held', slot: 1, limit: 5 });
    });

    test('refuses a limit below the counter and changes nothing; accepts one equal to it', async () => {
      await counter.publish({ campaignId: id, limit: 5, paused: false }, true);
      await counter.claim(id, 'a');
      await counter.claim(id, 'b');
      expect(await counter.publish({ campaignId: id, limit: 1, paused: true }, false)).toEqual({
        kind: 'limit_below_counter',
        counter: 2,
      });
      expect(await counter.claim(id, 'c')).toEqual({ kind: 'won', slot: 3, limit: 5 }); // neither limit nor pause applied
      expect(await counter.publish({ campaignId: id, limit: 3, paused: false }, false)).toEqual({
        kind: 'published',
        counter: 3,
      });
      expect(await counter.claim(id, 'd')).toEqual({ kind: 'full', limit: 3 });
    });

    test('inspect tells counter, settings, holders and free slots', async () => {
      expect(await counter.inspect(id)).toEqual({ counter: null, limit: null, paused: false, holders: 0, free: 0 });
      await counter.publish({ campaignId: id, limit: 4, paused: true }, true);
      expect(await counter.inspect(id)).toEqual({ counter: 0, limit: 4, paused: true, holders: 0, free: 0 });
    });

    test('only the explicit reset lowers the counter; it forgets every slot', async () => {
      await counter.publish({ campaignId: id, limit: 3, paused: false }, true);
      await counter.claim(id, 'a');
      await counter.claim(id, 'b');
      await counter.reset(id);
      expect(await counter.readCounter(id)).toBe(0);
      expect(await counter.claim(id, 'b')).toEqual({ kind: 'won', slot: 1, limit: 3 });
    });

    test('after losing its data it stays closed; only a fresh campaign gets a new counter', async () => {
      await counter.publish({ campaignId: id, limit: 5, paused: false }, true);
      await counter.claim(id, 'a');
      await forget(id);
      expect(await counter.claim(id, 'b')).toEqual({ kind: 'not_ready', reason: 'campaign_missing' });
      expect(await counter.publish({ campaignId: id, limit: 5, paused: false }, false)).toEqual({
        kind: 'counter_missing',
      });
      expect(await counter.claim(id, 'b')).toEqual({ kind: 'not_ready', reason: 'counter_missing' });
      expect(await counter.readCounter(id)).toBeNull();
    });
  });
}
