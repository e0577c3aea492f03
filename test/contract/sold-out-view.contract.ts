import type { CounterRepair } from '../../src/ports/counter-repair.port';
import type { SlotCounter } from '../../src/ports/slot-counter.port';
import type { SoldOutView } from '../../src/ports/sold-out-view.port';
import { settings } from './slot-counter.contract';

export interface SoldOutViewSubject {
  counter: SlotCounter & CounterRepair;
  view: SoldOutView;
  /** Lets announced changes arrive (a message hop for the Redis adapter). */
  settle(): Promise<void>;
}

/**
 * What every sold-out view must do; run against the Redis adapter (with the Redis counter) and an
 * in-memory fake (with the in-memory counter). The view may lag the counter, never run ahead of it.
 */
export function soldOutViewContract(name: string, subject: () => SoldOutViewSubject): void {
  describe(`SoldOutView contract: ${name}`, () => {
    let s: SoldOutViewSubject;
    let n = 0;
    let id: string;
    beforeEach(() => {
      s = subject();
      id = `v${++n}-${Date.now()}`;
    });
    afterEach(async () => {
      await s.view.close();
    });

    /** Fills a campaign of `limit` with users a, b, ...; returns the state version of its "full" answer. */
    async function soldOut(limit: number): Promise<number> {
      await s.counter.publish(id, settings(limit), true);
      for (let i = 0; i < limit; i++) await s.counter.claim(id, String.fromCharCode(97 + i));
      const full = await s.counter.claim(id, 'late');
      if (full.kind !== 'full' || full.stateVersion === undefined) throw new Error(`expected full, got ${full.kind}`);
      return full.stateVersion;
    }

    /**
     * Waits until the view says `expected` for (campaign, user), or fails after 2 s. `tell` runs on each
     * round, as every "full" answer of the counter tells the view again in real use (a view that is still
     * connecting learns from a later one).
     */
    async function until(user: string, expected: boolean, tell: () => void = () => {}): Promise<void> {
      const deadline = Date.now() + 2_000;
      while (s.view.soldOutFor(id, user) !== expected) {
        if (Date.now() > deadline) throw new Error(`the view never said ${expected} for ${user}`);
        tell();
        await new Promise((r) => setTimeout(r, 10));
      }
    }

    test('knows nothing of a campaign it was not told is full', async () => {
      await soldOut(2);
      await s.settle();
      expect(s.view.soldOutFor(id, 'late')).toBe(false);
    });

    test('once told, answers sold out for newcomers, never for holders', async () => {
      const version = await soldOut(2);
      await until('late', true, () => s.view.noteFull(id, version));
      expect(s.view.soldOutFor(id, 'someone-else')).toBe(true);
      expect(s.view.soldOutFor(id, 'a')).toBe(false);
      expect(s.view.soldOutFor(id, 'b')).toBe(false);
    });

    test.each([
      [
        'the limit is raised',
        (c: SlotCounter & CounterRepair, campaign: string) => c.publish(campaign, settings(3, { version: 2 }), false),
      ],
      [
        'the campaign is paused',
        (c: SlotCounter & CounterRepair, campaign: string) =>
          c.publish(campaign, settings(2, { version: 2, paused: true }), false),
      ],
      [
        'a slot is given up and freed',
        async (c: SlotCounter & CounterRepair, campaign: string) => {
          await c.moveSlot(campaign, 'a', 1, null);
          await c.freeSlots(campaign, [1]);
        },
      ],
      ['the campaign is reset', (c: SlotCounter & CounterRepair, campaign: string) => c.reset(campaign)],
      [
        'a forgotten holder is restored',
        async (c: SlotCounter & CounterRepair, campaign: string) => {
          await c.restoreHolders(campaign, [{ userId: 'late', slot: 1 }]);
        },
      ],
    ])('forgets the campaign as soon as %s', async (_, change) => {
      const version = await soldOut(2);
      await until('late', true, () => s.view.noteFull(id, version));
      await change(s.counter, id);
      await until('late', false);
    });

    test('a "full" answer the counter has moved on from teaches nothing', async () => {
      const stale = await soldOut(2);
      await s.counter.publish(id, settings(5, { version: 2 }), false);
      await s.settle();
      for (let i = 0; i < 20; i++) {
        s.view.noteFull(id, stale);
        await new Promise((r) => setTimeout(r, 10));
        expect(s.view.soldOutFor(id, 'late')).toBe(false);
      }
    });
  });
}
