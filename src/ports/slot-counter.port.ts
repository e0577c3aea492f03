import type { CampaignSettings } from '../domain/campaign';
import type { SlotClaim } from '../domain/slot';

/** What a claim whose slot turned out to be taken in the database gets instead. */
export type Reassignment =
  | Extract<SlotClaim, { kind: 'won' | 'full' | 'not_ready' }>
  /** The user no longer holds the stale slot: another request moved it. `slot` is what they hold now. */
  | { kind: 'changed'; slot: number | null };

export interface CounterInspection {
  /** Null when missing: claims are closed. */
  counter: number | null;
  /** Null when the settings are missing. */
  limit: number | null;
  paused: boolean;
  /** The version of the settings the counter enforces; null when they are missing. */
  version: number | null;
  /** Users holding a slot. */
  holders: number;
  /** Slots on the free list. */
  free: number;
}

export type PublishResult =
  | { kind: 'published'; counter: number }
  /** Settings written, but the counter is missing: claims stay closed until reconciliation rebuilds it. */
  | { kind: 'counter_missing' }
  /** The new limit is below the slots already handed out; nothing was changed. */
  | { kind: 'limit_below_counter'; counter: number }
  /**
   * A lowering (`PublishOptions.lowering`) refused, nothing changed: the counter or its settings are missing
   * or not those in force, so it no longer knows every slot handed out, and a lower limit cannot be checked
   * against it until reconciliation rebuilds it.
   */
  | { kind: 'not_in_force' }
  /** The counter enforces a newer version of the settings; nothing was changed. */
  | { kind: 'stale'; version: number };

/** The settings the database holds, as `publish` needs them to tell a counter that ran under others. */
export interface SupersededSettings {
  version: number;
  /** The highest slot that can still be recorded under them: max(their limit, the highest winner's slot). */
  floor: number;
  /** A version the counter took and the database then refused (a save put back). */
  refused?: number;
}

export interface PublishOptions {
  /**
   * A save's write: refuse (`stale`) when the counter already holds this version. Two saves that read the
   * same version compute the same next one; only the first may write it. Without: the same version may
   * be written again (republishing what the database holds).
   */
  strict?: boolean;
  /** The settings in force in the database; see `publish`. */
  superseded?: SupersededSettings;
  /**
   * The change lowers the limit: refused (`not_in_force`), writing nothing, when the counter is missing or
   * its settings are missing, older than `superseded` or the refused version. Such a counter lost or rolled
   * back the slots it handed out (Redis lost its data), and the check of a lower limit against it would pass
   * while claims still hold slots above it; the limit would then close the campaign to everyone until the
   * change found those winners and put it back.
   */
  lowering?: boolean;
}

/** The atomic per-campaign slot counter (Redis). One round trip per call. */
export interface SlotCounter {
  /**
   * Atomically: refuse outside the time window; return the user's slot if they hold one; else refuse when
   * paused or full; else hand out the next slot and remember it for the user. Never creates a missing
   * counter (answers `not_ready`). Won and held answers carry the settings version they were decided under.
   */
  claim(campaignId: string, userId: string): Promise<SlotClaim>;

  /**
   * The user's slot was already recorded for someone else: give the user a fresh slot (a freed one first),
   * only if they still hold `staleSlot`. Answers full, dropping the stale slot, when none is left.
   */
  reassign(campaignId: string, userId: string, staleSlot: number): Promise<Reassignment>;

  /**
   * Point the user's entry at `toSlot` (or remove it when null), only if it still holds `fromSlot`.
   * Returns whether it changed. The slot given up is left for reconciliation to free.
   */
  moveSlot(campaignId: string, userId: string, fromSlot: number, toSlot: number | null): Promise<boolean>;

  /**
   * The database refused the user's slot before anyone was recorded in it (paused, ended, above its
   * limit): remove the user's entry, only if it still holds `slot`, and put the slot on the free list at
   * once when it lies within the counter and the limit, so the next claim takes it instead of waiting for
   * reconciliation (the user is told no; the database's unique slot guards any record racing this).
   * Returns whether the entry was removed.
   */
  giveUp(campaignId: string, userId: string, slot: number): Promise<boolean>;

  /**
   * Write the campaign's settings, only over settings of an older version (or the same, unless `strict`):
   * a compare-and-set, so no stale writer rolls back a newer change. A missing counter is created at 0
   * only when `fresh` (the campaign has no winner anywhere). Refuses, changing nothing, a limit below the
   * current counter. With `superseded`, the settings the database holds now: when the counter's settings
   * are missing, older than those or the `refused` version (Redis lost or rolled back them, or the
   * database refused them), slots handed out above `superseded.floor` can never be recorded, and the
   * counter first comes down to that floor (atomically with the rest). Otherwise the counter is never
   * lowered.
   */
  publish(
    campaignId: string,
    settings: CampaignSettings,
    fresh: boolean,
    options?: PublishOptions,
  ): Promise<PublishResult>;

  /**
   * Sets the counter to 0 and forgets every user's slot (the settings stay). The only operation that
   * lowers a counter; the reset use case allows it only for a campaign that is not running and whose
   * winners are deleted.
   */
  reset(campaignId: string): Promise<void>;

  /** What the counter holds for a campaign, cheaply (no per-user data). */
  inspect(campaignId: string): Promise<CounterInspection>;

  /** The current counter, or null when it does not exist. */
  readCounter(campaignId: string): Promise<number | null>;
}
