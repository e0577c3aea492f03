/** What the counter holds for a campaign, read at one moment. */
export interface CounterSnapshot {
  settings: { limit: number; paused: boolean } | null;
  /** Null when missing: claims are closed. */
  counter: number | null;
  /** userId -> slot. */
  holders: Map<string, number>;
  /** Slots waiting to be handed out again. */
  free: number[];
}

/**
 * The counter's state as reconciliation sees and repairs it. Every write is monotone or conditional, so a
 * repair is safe next to live claims and next to another repair.
 */
export interface CounterRepair {
  /** Reads settings, counter, holders and free slots (holders in batches, so large campaigns are fine). */
  snapshot(campaignId: string): Promise<CounterSnapshot>;

  /**
   * Writes the settings from the database, the authority, as they are: unlike SlotCounter.publish this also
   * writes a limit below the counter (claims then answer full), as after a stale Redis restore.
   */
  syncSettings(campaignId: string, settings: { limit: number; paused: boolean }): Promise<void>;

  /** Gives users their recorded slot back where the map has no entry for them; returns how many. */
  restoreHolders(campaignId: string, entries: readonly { userId: string; slot: number }[]): Promise<number>;

  /** Raises the counter to at least `atLeast`, creating it if missing (which re-opens claims). Never lowers it. */
  raiseCounter(campaignId: string, atLeast: number): Promise<{ before: number | null; after: number }>;

  /** Puts slots (1..counter, checked unheld and without winner) on the free list; returns how many were added. */
  freeSlots(campaignId: string, slots: readonly number[]): Promise<number>;

  /** Takes slots off the free list (they turned out to have a winner); returns how many. */
  unfreeSlots(campaignId: string, slots: readonly number[]): Promise<number>;

  /** What reconciliation saw out of place before, and since when (ms since epoch). */
  suspects(campaignId: string): Promise<Map<string, number>>;

  /** Replaces the suspects with the ones seen now. */
  saveSuspects(campaignId: string, suspects: ReadonlyMap<string, number>): Promise<void>;
}
