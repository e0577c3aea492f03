import { isRunningAt, sameSettings, type CampaignSettings } from './campaign';

/**
 * Reconciliation as a decision without I/O: given what the database says (the authority) and what the
 * counter holds, at one moment, what must be repaired. The application applies the plan with writes that
 * are monotone or conditional (compare-and-set on the settings version, HSETNX, raise-only counter), so
 * a plan made from a view that is already stale cannot undo a newer change.
 *
 * What the plan never does, by construction (a property test checks it over random histories):
 * - hand out, free or complete a slot above the limit;
 * - free a slot that someone holds or won;
 * - lower the counter, except where Redis lost or rolled back the settings: then, as it publishes the
 *   database's, down to their limit at the lowest and never below a recorded slot;
 * - replace settings the counter holds at a version newer than the database's (so it never un-pauses);
 * - record a winner while the database says the campaign is paused or not running (ended, reset, not
 *   started).
 */
export interface ReconcileInput {
  /** The database's view of the campaign. */
  campaign: CampaignSettings;
  /** The counter's view, null fields where Redis lost them. */
  counter: {
    settings: CampaignSettings | null;
    value: number | null;
    holders: ReadonlyMap<string, number>;
    free: readonly number[];
  };
  /** Recorded winners (unique per user and per slot); `pending` ones are not decided yet (Winner.pending). */
  winners: readonly { userId: string; slot: number; pending?: true }[];
  /** Users of the campaign holding their voucher. */
  vouchered: ReadonlySet<string>;
  /** What earlier passes saw out of place, and since when (ms). */
  suspects: ReadonlyMap<string, number>;
  now: number;
  /** How long something must stay out of place before it is acted on (in-flight claims finish sooner). */
  graceMs: number;
}

export type SettingsRepair =
  | { kind: 'none' }
  /**
   * The counter's settings are missing or older than the database's: publish the database's. Slots the
   * counter handed out above `floor` (the limit, or the highest recorded slot if that is higher) were
   * handed out under settings no longer in force and can never be recorded: the counter comes down to it.
   */
  | { kind: 'publish'; floor: number }
  /**
   * The counter holds other settings at a newer version than the database: a change between its two
   * writes, or one whose database write failed and was not put back. Left alone, never rolled back; if
   * it lasts, an operator saves the campaign again (winners are checked against the database meanwhile).
   */
  | { kind: 'counter_ahead'; counterVersion: number }
  /**
   * The counter holds the database's own settings at a newer version, for longer than the grace period (a
   * save's put-back after the database refused it, or a save that changed nothing and stopped before its
   * store): the database takes that version, so the two agree again and the repairs that run under one
   * version (completing and freeing slots, raising the counter) run again. Nothing changes in force.
   */
  | { kind: 'align'; version: number };

export interface RepairPlan {
  settings: SettingsRepair;
  /** Winners the slot map forgot: written back where the map has no entry (HSETNX). */
  restoreHolders: { userId: string; slot: number }[];
  /** Entries pointing elsewhere than the user's recorded slot: pointed at the recorded one. */
  correctHolders: { userId: string; from: number; to: number }[];
  /** Claims that stopped between Redis and the database, past the grace period: to be recorded. */
  completeClaims: { userId: string; slot: number }[];
  /**
   * Winners recorded pending whose claim stopped before deciding them, past the grace period: decided now
   * against a fresh read of the campaign, as their claim would have (settled, or removed above the limit).
   */
  settlePending: { userId: string; slot: number }[];
  /** Entries that can never become a winner (their slot is above the limit or won by someone else, or the campaign ended). */
  dropHolders: { userId: string; slot: number }[];
  /** The counter is raised to at least this, and created at it if missing (which re-opens claims). */
  counterTarget: number;
  /** Free-list entries that are held, won or above the limit. */
  unfree: number[];
  /** Slots at or below the counter and the limit that nobody holds or won, past the grace period. */
  free: number[];
  /** Settled winners without a voucher (a pending one's is asked for once it is settled). */
  redeliver: string[];
  /** What is out of place but younger than the grace period, to be looked at again. */
  suspects: Map<string, number>;
}

export function planReconcile(input: ReconcileInput): RepairPlan {
  const { campaign, counter, now, graceMs } = input;
  const limit = campaign.limit;
  const suspects = new Map<string, number>();
  /** True once `what` has been out of place for the grace period; remembered otherwise. */
  const persisted = (what: string): boolean => {
    const since = input.suspects.get(what) ?? now;
    if (now - since >= graceMs) return true;
    suspects.set(what, since);
    return false;
  };

  // Settings the counter ran under that the database does not hold (lost, rolled back): publishing the
  // database's drops the slot map, so every winner's entry is restored, and no claim seen in it completes.
  const republishing = ranUnderOtherSettings(counter.settings, campaign);
  // A stopped claim becomes a winner only while the campaign runs and is not paused: nobody is recorded as
  // a winner of a paused or ended campaign (a reset one included) after the fact. Nor while the counter
  // holds newer settings than the ones read: the campaign changed after this pass read it (a pause, an
  // end, a lower limit), so what was read no longer says whether a claim may win.
  const asRead = !republishing && !counterAhead(counter.settings, campaign);
  const completing = asRead && !campaign.paused && isRunningAt(campaign, new Date(now));
  // After the end nothing completes a stopped claim: it is let go, and its slot freed a grace period later, so
  // the campaign's figures settle (counter, free slots and winners agree). Not while the counter holds newer
  // settings: the end may be being moved.
  const lettingGo = asRead && campaign.endsAt !== null && campaign.endsAt.getTime() <= now;
  const byUser = new Map(input.winners.map((w) => [w.userId, w.slot]));
  const bySlot = new Map(input.winners.map((w) => [w.slot, w.userId]));
  const held = new Map(counter.holders);

  // Not a pending winner's: its claim may be removing it (above a limit lowered meanwhile), and an entry
  // written back for it would outlive it as a stopped claim, completed later for a user told full. It gets
  // its entry back once settled.
  const restoreHolders = input.winners
    .filter((w) => w.pending !== true && (republishing || !counter.holders.has(w.userId)))
    .map(({ userId, slot }) => ({ userId, slot }));
  for (const w of restoreHolders) held.set(w.userId, w.slot);
  const settlePending = input.winners
    .filter((w) => w.pending === true && persisted(`pending:${w.userId}:${w.slot}`))
    .map(({ userId, slot }) => ({ userId, slot }));

  const correctHolders: RepairPlan['correctHolders'] = [];
  const completeClaims: RepairPlan['completeClaims'] = [];
  const dropHolders: RepairPlan['dropHolders'] = [];
  for (const [userId, slot] of counter.holders) {
    const recorded = byUser.get(userId);
    if (recorded === slot) continue;
    if (recorded !== undefined) {
      correctHolders.push({ userId, from: slot, to: recorded });
      held.set(userId, recorded);
    } else if (persisted(`claim:${userId}:${slot}`)) {
      if (slot < 1 || slot > limit || bySlot.has(slot) || lettingGo) {
        dropHolders.push({ userId, slot });
        held.delete(userId);
      } else if (completing) {
        completeClaims.push({ userId, slot });
        bySlot.set(slot, userId);
      } else {
        // Waiting for the campaign to run, resume or agree with the counter: still remembered since then,
        // so it is completed at the first pass that may, not a grace period after it.
        suspects.set(`claim:${userId}:${slot}`, input.suspects.get(`claim:${userId}:${slot}`) ?? now);
      }
    }
  }

  // Raise-only, to the highest slot known, but never past the limit for slots nobody has recorded.
  const recordedMax = Math.max(0, ...input.winners.map((w) => w.slot));
  const heldMax = Math.max(0, ...[...held.values()].filter((slot) => slot <= limit));
  const counterTarget = Math.max(recordedMax, heldMax);

  const heldSlots = new Set(held.values());
  const unfree = counter.free.filter((slot) => bySlot.has(slot) || heldSlots.has(slot) || slot > limit || slot < 1);
  const onFreeList = new Set(counter.free);
  const free: number[] = [];
  const top = Math.min(limit, Math.max(counter.value ?? 0, counterTarget));
  for (let slot = 1; slot <= top; slot += 1) {
    if (bySlot.has(slot) || heldSlots.has(slot) || onFreeList.has(slot)) continue;
    // After Redis lost the slot map (republishing), nothing says a hole is a claim still in flight: it is
    // freed at once rather than answering "full" for a grace period while it stays unwon. A claim that was
    // in flight and records it first makes the next taker move on (the database's unique slot decides).
    if (republishing || persisted(`hole:${slot}`)) free.push(slot);
  }

  return {
    settings: settingsRepair(campaign, counter.settings, Math.max(limit, recordedMax), (version) =>
      persisted(`align:${version}`),
    ),
    restoreHolders,
    correctHolders,
    completeClaims,
    settlePending,
    dropHolders,
    counterTarget,
    unfree,
    free,
    redeliver: input.winners.filter((w) => w.pending !== true && !input.vouchered.has(w.userId)).map((w) => w.userId),
    suspects,
  };
}

/**
 * The counter's settings are missing or older than the database's: it ran under settings not in force, and
 * publishing the database's drops its slot map (publish-campaign.lua).
 */
function ranUnderOtherSettings(counter: CampaignSettings | null, database: CampaignSettings): boolean {
  return counter === null || counter.version < database.version;
}

/** The counter holds a newer version of the settings than the database: a change saved after they were read. */
function counterAhead(counter: CampaignSettings | null, database: CampaignSettings): boolean {
  return counter !== null && counter.version > database.version;
}

/** `alignDue(version)`: the counter has held the database's own settings at `version` past the grace period. */
function settingsRepair(
  database: CampaignSettings,
  counter: CampaignSettings | null,
  floor: number,
  alignDue: (version: number) => boolean,
): SettingsRepair {
  // (null checked here too, for the compiler: the rest reads counter.version.)
  if (counter === null || ranUnderOtherSettings(counter, database)) return { kind: 'publish', floor };
  if (sameSettings(counter, database)) {
    const align = counterAhead(counter, database) && alignDue(counter.version);
    return align ? { kind: 'align', version: counter.version } : { kind: 'none' };
  }
  // A newer version is a change being saved right now, or one the database refused and nobody put back.
  if (counterAhead(counter, database)) return { kind: 'counter_ahead', counterVersion: counter.version };
  // The same version with other settings: data written before versions existed (both 0).
  return { kind: 'publish', floor };
}

/** True when the plan changes anything. */
export function planChangesSomething(plan: RepairPlan): boolean {
  return (
    plan.settings.kind === 'publish' ||
    plan.settings.kind === 'align' ||
    plan.restoreHolders.length + plan.correctHolders.length + plan.completeClaims.length > 0 ||
    plan.settlePending.length > 0 ||
    plan.dropHolders.length + plan.unfree.length + plan.free.length + plan.redeliver.length > 0
  );
}
