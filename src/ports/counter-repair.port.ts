import type { CampaignSettings } from '../domain/campaign';

/** What the counter holds for a campaign, read at one moment. */
export interface CounterSnapshot {
  /** Null when missing. */
  settings: CampaignSettings | null;
  /** Null when missing: claims are closed. */
  counter: number | null;
  /** userId -> slot. */
  holders: Map<string, number>;
  /** Slots waiting to be handed out again. */
  free: number[];
}

/**
 * The counter's state as reconciliation sees and repairs it. Every write is monotone or conditional, so a
 * repair is safe next to live claims and next to another repair. Settings are written with
 * SlotCounter.publish, whose compare-and-set on the version no stale repair can get past.
 */
export interface CounterRepair {
  /** Reads settings, counter, holders and free slots (holders in batches, so large campaigns are fine). */
  snapshot(campaignId: string): Promise<CounterSnapshot>;

  /**
   * Gives users their recorded slot back where the map has no entry for them; returns how many. With
   * `underVersion`, only while the settings stored are of that version: after a reset since the caller read,
   * an old run's winner given an entry would be answered "held" and recorded in the new run ahead of the
   * users the counter hands that slot to.
   */
  restoreHolders(
    campaignId: string,
    entries: readonly { userId: string; slot: number }[],
    underVersion?: number,
  ): Promise<number>;

  /**
   * Raises the counter to at least `atLeast`, creating it if missing (which re-opens claims). Never lowers it.
   * With `underVersion`, only while the settings stored are of that version: a reset (or a save) since the
   * caller read must not get the counter of what it read (a new run's counter raised to the old run's slots
   * would answer "full" to nobody's win). `after` is null when the counter is missing afterwards.
   */
  raiseCounter(
    campaignId: string,
    atLeast: number,
    underVersion?: number,
  ): Promise<{ before: number | null; after: number | null }>;

  /**
   * Puts slots on the free list, only those between 1 and both the counter and the limit (the caller has
   * checked they are unheld and without winner); returns how many were added. With `underVersion`, only
   * while the settings stored are of that version: after a reset (or a save) since the caller read, the
   * slots it saw unheld may be a new run's, held by claims under way.
   */
  freeSlots(campaignId: string, slots: readonly number[], underVersion?: number): Promise<number>;

  /** Takes slots off the free list (they turned out to be held, won or above the limit); returns how many. */
  unfreeSlots(campaignId: string, slots: readonly number[]): Promise<number>;

  /** What reconciliation saw out of place before, and since when (ms since epoch). */
  suspects(campaignId: string): Promise<Map<string, number>>;

  /** Replaces the suspects with the ones seen now. */
  saveSuspects(campaignId: string, suspects: ReadonlyMap<string, number>): Promise<void>;
}
