import { isRunningAt, settingsOf, type Campaign } from '../domain/campaign';
import { planReconcile, planChangesSomething, type RepairPlan } from '../domain/reconcile-plan';
import { isOfEndedRun, type Winner } from '../domain/slot';
import { settleWinner, type Settlement } from './support/settle-winner';
import { voucherCodeFor } from './support/voucher-code';
import { AppError } from '../errors';
import type { CampaignStore } from '../ports/campaign-store.port';
import type { Clock } from '../ports/clock.port';
import type { CounterRepair } from '../ports/counter-repair.port';
import type { Logger } from '../ports/logger.port';
import type { ParticipationStore } from '../ports/participation-store.port';
import type { SlotCounter } from '../ports/slot-counter.port';
import type { VoucherRedelivery } from '../ports/voucher-redelivery.port';
import type { VoucherStore } from '../ports/voucher-store.port';
import type { WinnerStore } from '../ports/winner-store.port';

export interface ReconcileOptions {
  /** Report the plan, change nothing. */
  dryRun?: boolean;
  /** Called as long steps advance: (step, done, total). */
  onProgress?: (step: string, done: number, total: number) => void;
}

export interface ReconcileAllOptions extends ReconcileOptions {
  /**
   * After Redis lost its data: besides the recent campaigns, every campaign with a winner still waiting
   * for a voucher, however long ago it ended.
   */
  unfinished?: boolean;
}

export interface ReconcileReport {
  campaignId: string;
  dryRun: boolean;
  winners: number;
  /** What was decided (the pure plan); with dryRun, all that happened. */
  plan: RepairPlan;
  /** The database's settings were published to the counter (they were missing or older). */
  settingsRestored: boolean;
  /**
   * The database took the newer version under which the counter held its very settings (`align` in the
   * plan), so the repairs that run under one version run again from the next pass.
   */
  settingsAligned: boolean;
  /**
   * Settings the counter would not take: `limit_below_counter` (the database's limit is below the slots
   * handed out: an operator must raise it), `counter_ahead` (the counter holds a newer version than the
   * database, which was restored from an older image: an operator re-saves the campaign). Claims cannot
   * win meanwhile (the winner's write checks the version).
   */
  settingsProblem: 'limit_below_counter' | 'counter_ahead' | null;
  counterBefore: number | null;
  counterAfter: number | null;
  /** Winners whose slot the counter had forgotten, written back. */
  holdersRestored: number;
  /** Counter entries pointing elsewhere than the recorded slot, or at a slot that can never win, corrected. */
  holdersCorrected: number;
  /** Slots the counter handed out whose winner was never recorded (the claim stopped between Redis and MongoDB), recorded now. */
  claimsCompleted: number;
  /**
   * Winners recorded pending whose claim stopped before deciding them (past the grace period): settled
   * (within the limit in force) or removed (above it: a limit lowered between the claim's read and its
   * insert), as their claim would have.
   */
  pendingSettled: number;
  pendingRemoved: number;
  /** Slots nobody holds and nobody won, put on the free list so none is burned. */
  slotsFreed: number;
  /** Free-list entries that turned out to be held, won or above the limit, removed. */
  freeListCleaned: number;
  /** Things seen out of place for less than the grace period: left alone until they persist. */
  waiting: number;
  /** When the earliest of the winners without a voucher won (null when every winner has one). */
  oldestWithoutVoucher: Date | null;
  /** Winners without a voucher whose job was added, retried or promoted. */
  vouchersRequeued: number;
  /** Winners without a voucher whose job is already waiting or running (or finished, with it, meanwhile). */
  vouchersInQueue: number;
  /**
   * Winner records of a run a reset ended (their claim stopped between its insert, which landed after the
   * reset's delete, and its own check), removed with any voucher: they won nothing in this run.
   */
  endedRunRemoved: number;
  /**
   * Vouchers standing with no winner record of any run (a write that landed inside the database after its
   * job had given up, and after a reset or an ended run's removal took the winner), removed; with dryRun,
   * the vouchers seen without a winner.
   */
  orphanVouchersRemoved: number;
}

export type ReconcileResult = ReconcileReport | { campaignId: string; error: Error };

export interface ReconcileDeps {
  campaigns: CampaignStore;
  winners: WinnerStore;
  vouchers: VoucherStore;
  /** A completed claim's login is recorded too: its claim may have stopped before it was. */
  participations: ParticipationStore;
  slots: SlotCounter;
  repair: CounterRepair;
  redelivery: VoucherRedelivery;
  clock: Clock;
  logger: Logger;
  /** How long a hole or a stopped claim must persist before it is acted on (in-flight claims finish far sooner). */
  graceMs: number;
  /** A pass that takes this long logs how long each step took (default SLOW_PASS_MS). */
  slowPassMs?: number;
}

/**
 * A campaign's pass taking this long is logged with the time of each step (`slow reconciliation pass`): one
 * pass holds the reconcile worker, and an outside attack saw one take 74 s on an overloaded database
 * without the logs saying where.
 */
export const SLOW_PASS_MS = 5_000;

/**
 * How many winners' vouchers a pass re-delivers at once. Each is a look at the winner's job in Redis and,
 * for a finished job, at the database: one at a time, a pass over 600 winners spent 37 s in this step on an
 * overloaded database (the fifth outside attack's `slow reconciliation pass` lines), holding the reconcile
 * worker meanwhile.
 */
export const REDELIVERY_CONCURRENCY = 16;

/**
 * How many vouchers without a winner a pass removes, each a read and a delete; the rest wait for the next
 * pass. An outside attack with ~770 of them saw passes of 26–47 s in that step, holding re-deliveries back.
 */
export const ORPHAN_VOUCHERS_PER_PASS = 100;

/** Milliseconds each step of a pass took. */
class StepTimes {
  readonly ms: Record<string, number> = {};
  private readonly started = performance.now();
  private last = this.started;

  mark(step: string): void {
    const now = performance.now();
    this.ms[step] = Math.round(now - this.last);
    this.last = now;
  }

  total(): number {
    return Math.round(performance.now() - this.started);
  }
}

/**
 * How long the counter may hold a newer version than the database before reconciliation calls it a
 * problem. A save publishes to the counter first and writes the database after it, so a pass landing
 * between the two finds the counter ahead for a moment; a save whose process stopped in between leaves it
 * ahead for good (an operator re-saves). Longer than any save's database write.
 */
export const COUNTER_AHEAD_PATIENCE_MS = 10_000;

/**
 * Rebuilds a campaign's counter from the database (the authority) and re-delivers missing vouchers. The
 * decision is planReconcile's, made from one read of both sides; this applies it, in an order that
 * matters, each write monotone or conditional, so it is safe next to live claims, next to an operator's
 * change and next to another reconciliation:
 *   1. settings, a compare-and-set on their version (never over a newer pause, limit or window);
 *   2. the per-user slot map, entries added only where missing, corrected only where unchanged;
 *   3. claims that stopped between Redis and MongoDB, completed (after the grace period);
 *   4. the counter raised, never lowered; its existence is what re-opens claims, so it comes last;
 *   5. the free list cleaned, and holes freed after the grace period (never above the limit);
 *   6. every winner without a voucher re-delivered to the queue.
 * First of all, records of a run a reset ended are removed: they are no winners of this one; and so are
 * vouchers that stand with no winner at all.
 */
export class ReconcileCampaign {
  /** Per campaign, the counter version found ahead of the database and when it was first found. */
  private readonly counterAhead = new Map<string, { version: number; since: number }>();

  constructor(private readonly deps: ReconcileDeps) {}

  async execute(campaignId: string, options: ReconcileOptions = {}): Promise<ReconcileReport> {
    const campaign = await this.deps.campaigns.findById(campaignId);
    if (campaign === null) throw new AppError('CAMPAIGN_NOT_FOUND', undefined, { campaignId });
    return this.reconcile(campaign, options);
  }

  /**
   * Every campaign that has started and ended less than a week ago (and, with `unfinished`, every one with
   * a winner still waiting for a voucher). Each is read again just before its turn, so a change made while
   * the pass runs is what it works from. One campaign failing does not stop the others.
   */
  async executeAll(options: ReconcileAllOptions = {}): Promise<ReconcileResult[]> {
    const candidates = await this.candidates(options.unfinished === true);
    const results: ReconcileResult[] = [];
    for (const id of candidates) {
      try {
        results.push(await this.execute(id, options));
      } catch (error) {
        if (error instanceof AppError && error.code === 'CAMPAIGN_NOT_FOUND') continue;
        this.deps.logger.error({ err: error, campaignId: id }, 'reconciliation failed');
        results.push({ campaignId: id, error: error instanceof Error ? error : new Error(String(error)) });
      }
    }
    return results;
  }

  private async candidates(unfinished: boolean): Promise<string[]> {
    const all = await this.deps.campaigns.list();
    const recent = new Set(campaignsToReconcile(all, this.deps.clock.now()).map((c) => c.id));
    if (!unfinished) return [...recent];
    const waiting: string[] = [];
    for (const campaign of all) {
      if (recent.has(campaign.id) || campaign.startsAt > this.deps.clock.now()) continue;
      const [winners, vouchers] = await Promise.all([
        this.deps.winners.count(campaign.id),
        this.deps.vouchers.count(campaign.id),
      ]);
      if (winners > vouchers) waiting.push(campaign.id);
    }
    return [...recent, ...waiting];
  }

  private async reconcile(campaign: Campaign, options: ReconcileOptions): Promise<ReconcileReport> {
    const { repair } = this.deps;
    const id = campaign.id;
    const steps = new StepTimes();
    const [snapshot, recorded, held, suspects] = await Promise.all([
      repair.snapshot(id),
      this.deps.winners.listByCampaign(id),
      this.deps.vouchers.heldByCampaign(id),
      repair.suspects(id),
    ]);
    const vouchered = new Set(held.keys());
    const everWon = new Set(recorded.map((w) => w.userId));
    const unclaimed = [...held].filter(([userId]) => !everWon.has(userId));
    const endedRun = recorded.filter((w) => isOfEndedRun(w, campaign));
    const winners = recorded.filter((w) => !isOfEndedRun(w, campaign));
    const plan = planReconcile({
      campaign: settingsOf(campaign),
      counter: { settings: snapshot.settings, value: snapshot.counter, holders: snapshot.holders, free: snapshot.free },
      winners,
      vouchered,
      suspects,
      now: this.deps.clock.now().getTime(),
      graceMs: this.deps.graceMs,
    });
    const report: ReconcileReport = {
      campaignId: id,
      dryRun: options.dryRun === true,
      winners: winners.length,
      plan,
      settingsRestored: plan.settings.kind === 'publish',
      settingsAligned: plan.settings.kind === 'align',
      settingsProblem: plan.settings.kind === 'counter_ahead' ? 'counter_ahead' : null,
      counterBefore: snapshot.counter,
      counterAfter: Math.max(snapshot.counter ?? 0, plan.counterTarget),
      holdersRestored: plan.restoreHolders.length,
      holdersCorrected: plan.correctHolders.length + plan.dropHolders.length,
      claimsCompleted: plan.completeClaims.length,
      pendingSettled: plan.settlePending.length,
      pendingRemoved: 0,
      slotsFreed: plan.free.length,
      freeListCleaned: plan.unfree.length,
      waiting: plan.suspects.size,
      vouchersRequeued: plan.redeliver.length,
      vouchersInQueue: 0,
      oldestWithoutVoucher: earliest(winners.filter((w) => !vouchered.has(w.userId)).map((w) => w.createdAt)),
      endedRunRemoved: endedRun.length,
      orphanVouchersRemoved: unclaimed.length,
    };
    if (report.dryRun) return report;
    steps.mark('read');

    report.endedRunRemoved = await this.removeEndedRun(endedRun);
    steps.mark('endedRun');
    report.orphanVouchersRemoved = await this.removeOrphanVouchers(id, unclaimed);
    steps.mark('orphanVouchers');
    await this.apply(campaign, plan, report, options, new Map(winners.map((w) => [w.userId, w])), steps);
    const tookMs = steps.total();
    if (hasDrift(report)) {
      this.deps.logger.warn({ ...report, plan: undefined, tookMs }, 'campaign reconciled: drift fixed');
    }
    if (tookMs >= (this.deps.slowPassMs ?? SLOW_PASS_MS)) {
      this.deps.logger.warn(
        { campaignId: id, tookMs, stepsMs: steps.ms, winners: report.winners, waiting: report.waiting },
        'slow reconciliation pass',
      );
    }
    this.logSettingsProblem(id, report, plan);
    return report;
  }

  /**
   * Settings the counter would not take are an operator's problem (logged as an error), except a counter
   * ahead of the database for less than COUNTER_AHEAD_PATIENCE_MS: a save between its two writes.
   */
  private logSettingsProblem(campaignId: string, report: ReconcileReport, plan: RepairPlan): void {
    const ahead = plan.settings.kind === 'counter_ahead' ? plan.settings.counterVersion : null;
    const seen = this.counterAhead.get(campaignId);
    const now = this.deps.clock.now().getTime();
    if (ahead === null) this.counterAhead.delete(campaignId);
    else if (seen?.version !== ahead) this.counterAhead.set(campaignId, { version: ahead, since: now });
    if (report.settingsProblem === null) return;
    const since = this.counterAhead.get(campaignId)?.since ?? now;
    if (ahead !== null && now - since < COUNTER_AHEAD_PATIENCE_MS) {
      this.deps.logger.info(
        { campaignId, problem: report.settingsProblem, counterVersion: ahead },
        'counter ahead of the database: a save between its two writes, looked at again next pass',
      );
      return;
    }
    this.deps.logger.error(
      { campaignId, problem: report.settingsProblem, ...(ahead === null ? {} : { counterVersion: ahead }) },
      'campaign settings could not be published: claims cannot win until an operator saves the campaign',
    );
  }

  private async apply(
    campaign: Campaign,
    plan: RepairPlan,
    report: ReconcileReport,
    options: ReconcileOptions,
    /** The winners the pass read, by user (a voucher job is of its winner's run). */
    recorded: ReadonlyMap<string, Winner>,
    steps: StepTimes,
  ): Promise<void> {
    const { repair, slots } = this.deps;
    const id = campaign.id;

    // 1. Settings.
    if (plan.settings.kind === 'publish') {
      const superseded = { version: campaign.version, floor: plan.settings.floor };
      const published = await slots.publish(id, settingsOf(campaign), false, { superseded });
      report.settingsRestored = published.kind === 'published' || published.kind === 'counter_missing';
      if (published.kind === 'limit_below_counter') report.settingsProblem = 'limit_below_counter';
    }
    if (plan.settings.kind === 'align') {
      // A compare-and-set on the version this pass read: a save since keeps what it stored.
      const aligned = { ...campaign, version: plan.settings.version };
      report.settingsAligned = (await this.deps.campaigns.save(aligned, campaign.version)) === 'saved';
      if (report.settingsAligned) {
        this.deps.logger.warn(
          { campaignId: id, from: campaign.version, to: aligned.version },
          'campaign version aligned with the counter, which held the same settings at a newer version',
        );
      }
    }
    steps.mark('settings');

    // 2. The slot map.
    // Under the settings this pass read or published, as the counter and the free list below: a reset since is
    // the next pass's to look at.
    report.holdersRestored = await repair.restoreHolders(id, plan.restoreHolders, campaign.version);
    let done = 0;
    const entries = [...plan.correctHolders, ...plan.dropHolders.map((d) => ({ ...d, from: d.slot, to: null }))];
    for (const { userId, from, to } of entries) {
      options.onProgress?.('slot map', ++done, entries.length);
      await slots.moveSlot(id, userId, from, to);
    }
    steps.mark('slotMap');

    // 3. Stopped claims: each one recorded is a winner without a voucher, too.
    report.claimsCompleted = 0;
    const redeliver = [...plan.redeliver];
    const runs = new Map([...recorded].map(([userId, w]) => [userId, w.run]));
    for (const { userId, slot } of plan.completeClaims) {
      // The plan decided on the campaign as this pass read it, steps ago: it is read again first, and a
      // pause, an end or a lower limit since (a new version) leaves the rest to the next pass. The winner
      // is recorded as of before that read, as a live claim's is as of before its own.
      const at = this.deps.clock.now();
      if (!(await this.stillAsRead(campaign, at))) break;
      const completed = await this.completeClaim(campaign, userId, slot, at);
      if (completed === 'completed') {
        report.claimsCompleted += 1;
        redeliver.push(userId);
        runs.set(userId, campaign.run);
      } else if (completed === 'corrected') {
        report.holdersCorrected += 1;
      }
    }
    steps.mark('claims');

    // 3b. Winners left pending by claims that stopped: each decided on a read of the campaign taken after
    // the pass read it (so after the record's insert), as its claim would have.
    report.pendingSettled = 0;
    for (const { userId } of plan.settlePending) {
      const winner = recorded.get(userId);
      if (winner === undefined) continue;
      const settlement = await this.settlePending(winner);
      if (settlement === 'stands') {
        report.pendingSettled += 1;
        redeliver.push(userId);
      } else if (settlement === 'removed') {
        report.pendingRemoved += 1;
      }
    }
    steps.mark('pending');

    // 4. The counter, raised last: its existence re-opens claims. Not under settings the counter refused.
    if (report.settingsProblem === null) {
      // Only under the settings this pass read or published: a reset since (a new run, counter at 0) or a save
      // is the next pass's to look at.
      report.counterAfter = (await repair.raiseCounter(id, plan.counterTarget, campaign.version)).after;
    }
    steps.mark('counter');

    // 5. The free list. Freed only under the settings this pass read: after a reset since, the slots it saw
    // unheld may be held by the new run's claims.
    report.freeListCleaned = await repair.unfreeSlots(id, plan.unfree);
    report.slotsFreed = await repair.freeSlots(id, plan.free, campaign.version);
    await repair.saveSuspects(id, plan.suspects);
    steps.mark('freeList');

    // 6. Vouchers, REDELIVERY_CONCURRENCY at a time (each winner's job is its own).
    report.vouchersRequeued = 0;
    done = 0;
    const pending = redeliver.values();
    const redeliverPending = async (): Promise<void> => {
      for (let next = pending.next(); next.done !== true; next = pending.next()) {
        const userId = next.value;
        options.onProgress?.('vouchers', ++done, redeliver.length);
        const delivered = async () => (await this.deps.vouchers.findForUsers(id, [userId])).length > 0;
        const run = runs.get(userId) ?? campaign.run;
        const result = await this.deps.redelivery.redeliver(id, userId, run, delivered);
        if (result === 'in_queue' || result === 'delivered') report.vouchersInQueue += 1;
        else report.vouchersRequeued += 1;
      }
    };
    const lanes = Array.from({ length: Math.min(REDELIVERY_CONCURRENCY, redeliver.length) }, redeliverPending);
    // Every lane finishes before the pass answers; the first failure is the pass's.
    const failed = (await Promise.allSettled(lanes)).find((lane) => lane.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    steps.mark('vouchers');
  }

  /**
   * Each record only if it is still of that run (its claim may have removed it, and the user won again
   * since), then any voucher next to it: the voucher job refuses records of an ended run and removes what
   * it wrote for one, so a voucher here is one that raced it.
   */
  private async removeEndedRun(endedRun: readonly Winner[]): Promise<number> {
    let removed = 0;
    for (const { campaignId, userId, run, slot } of endedRun) {
      // Not a voucher written after the record's delete: the user's winner of a later run, and its voucher,
      // can only come after it (this pass may stall between the two deletes).
      const before = this.deps.clock.now();
      if (!(await this.deps.winners.deleteOfRun(campaignId, userId, run))) continue;
      await this.deps.vouchers.deleteOne(campaignId, userId, { writtenNoLaterThan: before });
      removed += 1;
      this.deps.logger.warn({ campaignId, userId, slot, run }, 'winner record of an ended run removed');
    }
    return removed;
  }

  /**
   * Vouchers the pass's read found with no winner record beside them, each removed if its winner is still
   * not there when read again now. That second read is what makes it safe next to live claims: a voucher is
   * written only after its job read the winner, so a winner recorded before the voucher the pass saw is
   * seen by any read begun after that one, unless it was deleted since (a reset or an ended run, after which
   * no voucher may stand for it either). The delete names the voucher's expiry, so a later run's voucher
   * for the same user, written meanwhile, stays.
   */
  private async removeOrphanVouchers(campaignId: string, unclaimed: readonly [string, Date][]): Promise<number> {
    let removed = 0;
    for (const [userId, expireDate] of unclaimed.slice(0, ORPHAN_VOUCHERS_PER_PASS)) {
      // A voucher without an expiry was not written by this service: a delete could not name it alone.
      if (!(expireDate instanceof Date)) continue;
      if ((await this.deps.winners.find(campaignId, userId)) !== null) continue;
      if (!(await this.deps.vouchers.deleteOne(campaignId, userId, { expireDate }))) continue;
      removed += 1;
      this.deps.logger.warn({ campaignId, userId, expireDate }, 'voucher without a winner removed');
    }
    return removed;
  }

  /**
   * Whether the campaign, read fresh, is still the version this pass planned on, running and not paused: a
   * stopped claim is completed only then, as a live claim records its winner only after such a read. The
   * counter is read beside it: a change is in force from its publish, a moment before the database stores
   * it, and a newer version there is one the database does not show yet.
   */
  private async stillAsRead(campaign: Campaign, at: Date): Promise<boolean> {
    const [fresh, counter] = await Promise.all([
      this.deps.campaigns.findById(campaign.id),
      this.deps.slots.inspect(campaign.id),
    ]);
    if (counter.version !== null && counter.version > campaign.version) return false;
    if (fresh === null || fresh.version !== campaign.version || fresh.run !== campaign.run) return false;
    return !fresh.paused && !fresh.resetting && isRunningAt(fresh, at);
  }

  /** One pending winner decided (`settleWinner`); a removed one's counter entry is dropped with it. */
  private async settlePending(winner: Winner): Promise<Settlement> {
    const { campaignId, userId, slot } = winner;
    const current = await this.deps.campaigns.findById(campaignId);
    const settlement = await settleWinner(this.deps, winner, current);
    if (settlement === 'removed') {
      await this.deps.slots.moveSlot(campaignId, userId, slot, null);
      this.deps.logger.warn(
        { campaignId, userId, slot, limit: current?.limit },
        'pending winner above the limit in force removed',
      );
    }
    return settlement;
  }

  /**
   * Records the winner a stopped claim would have recorded (the plan checked the slot is within the limit
   * and won by nobody else), pending, and decides it as the claim would have, on a read after the insert: a
   * limit lowered after the check before it (which the slot, held in Redis, refuses unless Redis lost it
   * meanwhile; an outside attack froze this process there) removes it. `corrected` when the user or the
   * slot was recorded already: the entry is pointed at the user's recorded slot or dropped.
   */
  private async completeClaim(
    campaign: Campaign,
    userId: string,
    slot: number,
    at: Date,
  ): Promise<'completed' | 'corrected' | 'not_standing'> {
    const id = campaign.id;
    const winner: Winner = {
      campaignId: id,
      userId,
      slot,
      voucherCode: voucherCodeFor(id, userId),
      createdAt: at,
      run: campaign.run,
      pending: true,
    };
    // The login is recorded beside the win, as a live claim records it beside its read (a repeat is no error).
    const [recorded] = await Promise.all([
      this.deps.winners.record(winner),
      this.deps.participations.record(id, userId, at),
    ]);
    if (recorded.kind === 'recorded') {
      return (await this.settlePending(winner)) === 'stands' ? 'completed' : 'not_standing';
    }
    const to = recorded.kind === 'user_already_won' ? recorded.winner.slot : null;
    await this.deps.slots.moveSlot(id, userId, slot, to);
    return 'corrected';
  }
}

export function hasDrift(report: ReconcileReport): boolean {
  return (
    report.settingsRestored ||
    report.settingsAligned ||
    report.counterBefore !== report.counterAfter ||
    report.holdersRestored + report.holdersCorrected + report.claimsCompleted + report.slotsFreed > 0 ||
    report.pendingSettled + report.pendingRemoved > 0 ||
    report.freeListCleaned + report.vouchersRequeued + report.endedRunRemoved + report.orphanVouchersRemoved > 0 ||
    (report.dryRun && planChangesSomething(report.plan))
  );
}

/** Campaigns worth reconciling at `now`: started, and not ended more than `settleDays` ago. */
export function campaignsToReconcile(campaigns: readonly Campaign[], now: Date, settleDays = 7): Campaign[] {
  const horizon = now.getTime() - settleDays * 24 * 60 * 60 * 1000;
  return campaigns.filter((c) => c.startsAt <= now && (c.endsAt === null || c.endsAt.getTime() >= horizon));
}

function earliest(dates: readonly Date[]): Date | null {
  return dates.reduce<Date | null>((first, date) => (first === null || date < first ? date : first), null);
}
