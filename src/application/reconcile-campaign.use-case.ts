import type { Campaign } from '../domain/campaign';
import type { Winner } from '../domain/slot';
import { voucherCodeFor } from '../domain/voucher';
import { AppError } from '../errors';
import type { CampaignStore } from '../ports/campaign-store.port';
import type { Clock } from '../ports/clock.port';
import type { CounterRepair } from '../ports/counter-repair.port';
import type { Logger } from '../ports/logger.port';
import type { SlotCounter } from '../ports/slot-counter.port';
import type { VoucherRedelivery } from '../ports/voucher-redelivery.port';
import type { VoucherStore } from '../ports/voucher-store.port';
import type { WinnerStore } from '../ports/winner-store.port';

export interface ReconcileOptions {
  /** Report what would be done, change nothing. */
  dryRun?: boolean;
  /** Called as long steps advance: (step, done, total). */
  onProgress?: (step: string, done: number, total: number) => void;
}

export interface ReconcileReport {
  campaignId: string;
  dryRun: boolean;
  winners: number;
  /** The counter's settings were missing or differed from the database's. */
  settingsRestored: boolean;
  counterBefore: number | null;
  counterAfter: number | null;
  /** Winners whose slot the counter had forgotten, written back. */
  holdersRestored: number;
  /** Counter entries pointing elsewhere than the recorded slot (or at someone else's), corrected. */
  holdersCorrected: number;
  /** Slots the counter handed out whose winner was never recorded (the claim stopped between Redis and MongoDB), recorded now. */
  claimsCompleted: number;
  /** Slots nobody holds and nobody won, put on the free list so none is burned. */
  slotsFreed: number;
  /** Free-list entries that turned out to have a winner, removed. */
  freeListCleaned: number;
  /** Things seen out of place for less than the grace period: left alone until they persist. */
  waiting: number;
  /** Winners without a voucher whose job was added, retried or promoted. */
  vouchersRequeued: number;
  /** Winners without a voucher whose job is already waiting or running. */
  vouchersInQueue: number;
}

export interface ReconcileDeps {
  campaigns: CampaignStore;
  winners: WinnerStore;
  vouchers: VoucherStore;
  slots: SlotCounter;
  repair: CounterRepair;
  redelivery: VoucherRedelivery;
  clock: Clock;
  logger: Logger;
  /** How long a hole or a stopped claim must persist before it is acted on (in-flight claims finish far sooner). */
  graceMs: number;
}

/**
 * Rebuilds a campaign's counter from the database (the authority) and re-delivers missing vouchers. The
 * order matters, and every step is monotone or conditional, so it is safe next to live claims and next to
 * another reconciliation:
 *   1. settings (limit, paused) from the database;
 *   2. the per-user slot map, entries added only where missing;
 *   3. claims that stopped between Redis and MongoDB completed (after the grace period);
 *   4. the counter raised to the highest slot known, never lowered; its existence is what re-opens claims;
 *   5. holes (slots at or below the counter that nobody holds or won) freed after the grace period;
 *   6. every winner without a voucher re-delivered to the queue.
 */
export class ReconcileCampaign {
  constructor(private readonly deps: ReconcileDeps) {}

  async execute(campaignId: string, options: ReconcileOptions = {}): Promise<ReconcileReport> {
    const campaign = await this.deps.campaigns.findById(campaignId);
    if (campaign === null) throw new AppError('CAMPAIGN_NOT_FOUND', undefined, { campaignId });
    return this.reconcile(campaign, options);
  }

  /**
   * Every campaign that has started and ended less than a week ago. One campaign failing does not stop
   * the others; its error is returned in its place.
   */
  async executeAll(
    options: ReconcileOptions = {},
  ): Promise<(ReconcileReport | { campaignId: string; error: Error })[]> {
    const campaigns = campaignsToReconcile(await this.deps.campaigns.list(), this.deps.clock.now());
    const results: (ReconcileReport | { campaignId: string; error: Error })[] = [];
    for (const campaign of campaigns) {
      try {
        results.push(await this.reconcile(campaign, options));
      } catch (error) {
        this.deps.logger.error({ err: error, campaignId: campaign.id }, 'reconciliation failed');
        results.push({ campaignId: campaign.id, error: error instanceof Error ? error : new Error(String(error)) });
      }
    }
    return results;
  }

  private async reconcile(campaign: Campaign, options: ReconcileOptions): Promise<ReconcileReport> {
    const { repair, clock, graceMs } = this.deps;
    const dryRun = options.dryRun === true;
    const id = campaign.id;
    const now = clock.now().getTime();
    const snapshot = await repair.snapshot(id);
    const winners = await this.deps.winners.listByCampaign(id);
    const byUser = new Map(winners.map((w) => [w.userId, w]));
    const bySlot = new Map(winners.map((w) => [w.slot, w.userId]));
    const seenBefore = await repair.suspects(id);
    const seenNow = new Map<string, number>();
    /** True once `what` has been out of place for the grace period; remembers it otherwise. */
    const persisted = (what: string): boolean => {
      const since = seenBefore.get(what) ?? now;
      if (now - since >= graceMs) return true;
      seenNow.set(what, since);
      return false;
    };
    const report: ReconcileReport = {
      campaignId: id,
      dryRun,
      winners: winners.length,
      settingsRestored: false,
      counterBefore: snapshot.counter,
      counterAfter: snapshot.counter,
      holdersRestored: 0,
      holdersCorrected: 0,
      claimsCompleted: 0,
      slotsFreed: 0,
      freeListCleaned: 0,
      waiting: 0,
      vouchersRequeued: 0,
      vouchersInQueue: 0,
    };

    // 1. Settings.
    const { settings } = snapshot;
    if (settings === null || settings.limit !== campaign.limit || settings.paused !== campaign.paused) {
      report.settingsRestored = true;
      if (!dryRun) await repair.syncSettings(id, { limit: campaign.limit, paused: campaign.paused });
    }

    // 2. Winners the slot map forgot.
    const forgotten = winners.filter((w) => !snapshot.holders.has(w.userId));
    report.holdersRestored = dryRun ? forgotten.length : await repair.restoreHolders(id, forgotten);
    const held = new Map(snapshot.holders);
    for (const w of forgotten) held.set(w.userId, w.slot);

    // 3. Entries of the slot map that disagree with the winners.
    const entries = [...snapshot.holders].filter(([userId, slot]) => byUser.get(userId)?.slot !== slot);
    let done = 0;
    for (const [userId, slot] of entries) {
      options.onProgress?.('slot map', ++done, entries.length);
      const recorded = byUser.get(userId);
      if (recorded !== undefined) {
        report.holdersCorrected += 1;
        held.set(userId, recorded.slot);
        if (!dryRun) await this.deps.slots.moveSlot(id, userId, slot, recorded.slot);
      } else if (persisted(`claim:${userId}:${slot}`)) {
        const completed = await this.completeClaim(campaign, userId, slot, bySlot, dryRun);
        if (completed === null) {
          report.holdersCorrected += 1;
          held.delete(userId);
        } else {
          report.claimsCompleted += 1;
          byUser.set(userId, completed);
          bySlot.set(completed.slot, userId);
          held.set(userId, completed.slot);
        }
      }
    }

    // 4. The counter, raised last: its existence re-opens claims.
    const highest = [...bySlot.keys(), ...held.values()].reduce((max, slot) => Math.max(max, slot), 0);
    if (dryRun) report.counterAfter = Math.max(snapshot.counter ?? 0, highest);
    else report.counterAfter = (await repair.raiseCounter(id, highest)).after;

    // 5. Holes and the free list.
    const heldSlots = new Set(held.values());
    const free = new Set(snapshot.free);
    const stale = snapshot.free.filter((slot) => bySlot.has(slot) || heldSlots.has(slot));
    report.freeListCleaned = dryRun ? stale.length : await repair.unfreeSlots(id, stale);
    const holes: number[] = [];
    for (let slot = 1; slot <= Math.max(snapshot.counter ?? 0, highest); slot += 1) {
      if (bySlot.has(slot) || heldSlots.has(slot) || free.has(slot)) continue;
      if (persisted(`hole:${slot}`)) holes.push(slot);
    }
    report.slotsFreed = dryRun ? holes.length : await repair.freeSlots(id, holes);
    report.waiting = seenNow.size;
    if (!dryRun) await repair.saveSuspects(id, seenNow);

    // 6. Vouchers.
    const issued = await this.deps.vouchers.userIdsByCampaign(id);
    const missing = [...byUser.keys()].filter((userId) => !issued.has(userId));
    done = 0;
    for (const userId of missing) {
      options.onProgress?.('vouchers', ++done, missing.length);
      const result = dryRun ? 'added' : await this.deps.redelivery.redeliver(id, userId);
      if (result === 'in_queue') report.vouchersInQueue += 1;
      else report.vouchersRequeued += 1;
    }

    if (!dryRun && hasDrift(report)) this.deps.logger.warn({ ...report }, 'campaign reconciled: drift fixed');
    return report;
  }

  /**
   * Records the winner a stopped claim would have recorded. Returns the recorded winner, or null when the
   * slot belongs to someone else (the entry is dropped then).
   */
  private async completeClaim(
    campaign: Campaign,
    userId: string,
    slot: number,
    bySlot: ReadonlyMap<number, string>,
    dryRun: boolean,
  ): Promise<Winner | null> {
    const id = campaign.id;
    const winner: Winner = {
      campaignId: id,
      userId,
      slot,
      voucherCode: voucherCodeFor(id, userId),
      createdAt: this.deps.clock.now(),
    };
    const outOfRange = slot < 1 || slot > campaign.limit;
    if (dryRun) return bySlot.has(slot) || outOfRange ? null : winner;
    if (bySlot.has(slot) || outOfRange) {
      await this.deps.slots.moveSlot(id, userId, slot, null);
      return null;
    }
    const recorded = await this.deps.winners.record(winner);
    if (recorded.kind === 'recorded') return winner;
    if (recorded.kind === 'user_already_won') {
      await this.deps.slots.moveSlot(id, userId, slot, recorded.winner.slot);
      return recorded.winner;
    }
    await this.deps.slots.moveSlot(id, userId, slot, null);
    return null;
  }
}

export function hasDrift(report: ReconcileReport): boolean {
  return (
    report.settingsRestored ||
    report.counterBefore !== report.counterAfter ||
    report.holdersRestored + report.holdersCorrected + report.claimsCompleted + report.slotsFreed > 0 ||
    report.freeListCleaned + report.vouchersRequeued > 0
  );
}

/** Campaigns worth reconciling at `now`: started, and not ended more than `settleDays` ago. */
export function campaignsToReconcile(campaigns: readonly Campaign[], now: Date, settleDays = 7): Campaign[] {
  const horizon = now.getTime() - settleDays * 24 * 60 * 60 * 1000;
  return campaigns.filter((c) => c.startsAt <= now && (c.endsAt === null || c.endsAt.getTime() >= horizon));
}
