import { CAMPAIGN_DEFAULTS, campaignProblems, settingsOf, type Campaign } from '../domain/campaign';
import { isOfEndedRun, type Winner } from '../domain/slot';
import { AppError } from '../errors';
import type { AuditLog } from '../ports/audit-log.port';
import type { CampaignStore } from '../ports/campaign-store.port';
import type { Clock } from '../ports/clock.port';
import type { Logger } from '../ports/logger.port';
import type { SlotCounter } from '../ports/slot-counter.port';
import type { VoucherStore } from '../ports/voucher-store.port';
import type { WinnerStore } from '../ports/winner-store.port';
import { orUnavailable } from './support/dependency-call';
import { settleWinner, type Settlement } from './support/settle-winner';

/** Fields an operator may set; anything left out keeps its current value (or the default when new). */
export interface CampaignChanges {
  name?: string | undefined;
  limit?: number | undefined;
  discount?: number | undefined;
  voucherType?: string | undefined;
  description?: string | undefined;
  startsAt?: Date | undefined;
  endsAt?: Date | null | undefined;
  voucherValidityDays?: number | undefined;
  paused?: boolean | undefined;
}

export interface SaveOptions {
  /** Who makes the change, for the audit log. */
  actor: string;
  /** `create` refuses an existing id, `update` a missing one; `upsert` takes either. */
  mode: 'create' | 'update' | 'upsert';
  /** Audit action name when more telling than create/update (pause, resume). */
  action?: string;
}

export interface SaveCampaignResult {
  campaign: Campaign;
  previous: Campaign | null;
  created: boolean;
  /** Slots handed out so far; null when the counter is missing (claims closed until reconciliation) or a newer change superseded this one. */
  counter: number | null;
}

/** Tries to put a limit back while other changes keep landing in between. */
const PUT_BACK_TRIES = 5;

/**
 * Creates or changes a campaign, its settings versioned:
 *   1. the new limit may not fall below the highest slot handed out, recorded (the winners) or counted
 *      (the counter): below it, winners would outnumber the limit;
 *   2. the settings go to the counter first, under the next version, a compare-and-set inside its script
 *      that also refuses, atomically, a limit below the counter (claims may have moved it since step 1):
 *      refused, nothing has changed anywhere. From here the change is in force for every claim;
 *   3. the campaign is stored at that version, a compare-and-set on the version it was read at, so of two
 *      concurrent changes one wins; the loser, and a database that cannot be reached, put the counter back
 *      to what the database holds (as a newer version) and refuse the change.
 * The counter may thus be a version ahead of the database for the moment between steps 2 and 3, never
 * behind it for longer than a failed step 2; reconciliation never replaces a newer version, so it cannot
 * roll back a pause, limit or window. A counter is created (at 0) only for a campaign with no winner; any
 * other missing counter is left to reconciliation, which rebuilds it from the winners, so saving a
 * campaign never re-opens slots that were won.
 */
export class SaveCampaign {
  constructor(
    private readonly campaigns: CampaignStore,
    private readonly winners: WinnerStore,
    /** A pending winner removed above a lowered limit has any voucher written for it removed too. */
    private readonly vouchers: Pick<VoucherStore, 'deleteOne'>,
    private readonly slots: SlotCounter,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async execute(id: string, changes: CampaignChanges, options: SaveOptions): Promise<SaveCampaignResult> {
    const now = this.clock.now();
    const previous = await orUnavailable(this.campaigns.findById(id), 'campaign lookup');
    if (options.mode === 'create' && previous !== null)
      throw new AppError('CAMPAIGN_EXISTS', undefined, { campaignId: id });
    if (options.mode === 'update' && previous === null)
      throw new AppError('CAMPAIGN_NOT_FOUND', undefined, { campaignId: id });
    if (previous?.resetting === true) throw new AppError('CAMPAIGN_RESETTING', undefined, { campaignId: id });
    // The campaign's own rules first: refused input costs no call to the counter.
    const draft = endNotBeforeNow(merge(id, previous, changes, now), previous, changes, now);
    const problems = campaignProblems(draft);
    if (problems.length > 0)
      throw new AppError('INVALID_REQUEST', `invalid campaign: ${problems.join('; ')}`, { problems });
    const [counter, highestSlot] = await Promise.all([
      orUnavailable(this.slots.inspect(id), 'counter lookup'),
      orUnavailable(this.winners.maxSlot(id), 'winner lookup'),
    ]);
    // Above every version anyone has seen, the counter's included (it may be ahead of the database).
    const version = Math.max(previous?.version ?? 0, counter.version ?? 0) + 1;
    const campaign: Campaign = { ...draft, version };
    // Counted slots above the stored limit do not count when Redis lost or rolled back the stored settings.
    const superseded =
      previous === null ? undefined : { version: previous.version, floor: Math.max(previous.limit, highestSlot) };
    const rolledBack = superseded !== undefined && (counter.version ?? -1) < superseded.version;
    const counted = rolledBack ? Math.min(counter.counter ?? 0, superseded.floor) : (counter.counter ?? 0);
    // Only a change that lowers the limit is refused here: a pause or an end must never be, even while a
    // winner stands above the stored limit (a lowering that is putting the limit back right now).
    const lowers = previous === null || campaign.limit < previous.limit;
    if (lowers && campaign.limit < Math.max(highestSlot, counted)) {
      throw new AppError('CAMPAIGN_LIMIT_BELOW_COUNTER', undefined, { counter: counted, highestSlot });
    }

    // A lowering of a stored campaign's limit is checked against the counter, which must know its slots.
    const lowering = previous !== null && campaign.limit < previous.limit;
    const published = await orUnavailable(
      this.slots.publish(id, settingsOf(campaign), highestSlot === 0, { strict: true, superseded, lowering }),
      'publish',
    );
    if (published.kind === 'limit_below_counter') {
      throw new AppError('CAMPAIGN_LIMIT_BELOW_COUNTER', undefined, { counter: published.counter, highestSlot });
    }
    if (published.kind === 'not_in_force') {
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        'Redis lost or rolled back the slot counter, and reconciliation has not rebuilt it yet: a lower limit cannot be checked against the slots handed out until then. Nothing was changed. The worker rebuilds a running campaign within seconds; for one that is not running, ask for it (POST /admin/campaigns/:id/reconcile). Then save it again.',
        { campaignId: id, counter: 'rebuilding' },
      );
    }
    if (published.kind === 'stale') throw new AppError('CAMPAIGN_CHANGED', undefined, { campaignId: id });
    const stored = endsNoEarlierThan(campaign, previous, changes, this.clock.now());
    await this.store(stored, previous);
    await this.recordAudit(options, previous, stored, now);
    if (previous !== null && stored.limit < previous.limit) await this.limitHolds(stored, previous, options);
    this.logger.info(
      { campaignId: id, limit: campaign.limit, paused: campaign.paused, version, actor: options.actor },
      'campaign saved',
    );
    const counterValue = published.kind === 'published' ? published.counter : null;
    if (counterValue === null)
      this.logger.warn({ campaignId: id }, 'counter missing: claims closed until reconciliation');
    return { campaign: stored, previous, created: previous === null, counter: counterValue };
  }

  private get settling() {
    return { winners: this.winners, vouchers: this.vouchers, clock: this.clock };
  }

  /**
   * Step 4, for a lowered limit: the winners read again now that it is stored. A claim that read the
   * campaign before step 1 and inserted after it (possible only when the counter did not count its slot:
   * Redis lost its data with the claim in flight, and reconciliation rebuilt the counter from the database
   * before the claim's insert) records a winner above the new limit, pending until a read after its insert
   * decides it (`settleWinner`). One already settled was settled on a read from before step 3, and its user
   * may have been told they won: then the limit goes back up at once, to the previous one or the highest
   * slot settled, in the counter and the database (keeping whatever else is stored now), and the change
   * answers CAMPAIGN_LIMIT_BELOW_COUNTER; records still pending are left to their own readers (one that
   * read the lowered limit removes its record, one that reads the limit put back settles it). With none
   * settled, the pending ones are decided here, DECIDE_AT_ONCE at a time, against the campaign read after
   * this read of the winners: removed, unless one was settled first by its claim, which puts the limit back
   * the same way. Every login the lowered limit answers full before the
   * limit goes back was told full wrongly, so the put-back comes first, after one read (an outside attack
   * measured 20 s with the pending records decided one by one on a slow database).
   */
  private async limitHolds(stored: Campaign, previous: Campaign, options: SaveOptions): Promise<void> {
    const id = stored.id;
    let standing: number[];
    try {
      if ((await this.winners.maxSlot(id)) <= stored.limit) return;
      const above = (await this.winners.listByCampaign(id)).filter((w) => w.slot > stored.limit);
      // A settled record of a run a reset ended is no winner of this one (the pending path deletes it).
      standing = above
        .filter((winner) => winner.pending !== true && !isOfEndedRun(winner, stored))
        .map((winner) => winner.slot);
      if (standing.length === 0) {
        const current = await this.campaigns.findById(id);
        const decided = await inBatches(above, DECIDE_AT_ONCE, (winner) => this.decidePending(winner, current));
        standing = above.filter((_, index) => decided[index] === 'stands').map((winner) => winner.slot);
        // One that stands puts the limit back even if deciding another failed; with none, the failure is told.
        const failed = decided.find((result): result is Failed => typeof result === 'object');
        if (standing.length === 0 && failed !== undefined) throw failed.error;
      }
    } catch (error) {
      this.logger.error({ err: error, campaignId: id }, 'lowered limit stored, winners not read again to confirm it');
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        'The lower limit is stored, but the winners could not be read again to confirm it: save it again.',
        undefined,
        { cause: error },
      );
    }
    if (standing.length === 0) return;
    const highestSlot = Math.max(...standing);
    const restoredLimit = await this.putLimitBack(stored, Math.max(previous.limit, highestSlot), options);
    throw new AppError(
      'CAMPAIGN_LIMIT_BELOW_COUNTER',
      'A winner was told they won above the new limit while it was being saved: the limit is back where it was (the rest of the change stays stored).',
      { highestSlot, limit: restoredLimit, restOfChangeStored: true },
    );
  }

  /**
   * A pending winner above a lowered limit, decided against `current`; a removed one's counter entry goes.
   * A failure is returned, not thrown, so the others' decisions still count.
   */
  private async decidePending(winner: Winner, current: Campaign | null): Promise<Settlement | Failed> {
    let settlement: Settlement;
    try {
      settlement = await settleWinner(this.settling, winner, current);
    } catch (error) {
      return { error };
    }
    if (settlement === 'removed') {
      // The record is gone; an entry left behind (Redis not answering) is reconciliation's to drop.
      await this.slots
        .moveSlot(winner.campaignId, winner.userId, winner.slot, null)
        .catch((error: unknown) =>
          this.logger.warn({ err: error, campaignId: winner.campaignId }, 'entry not dropped'),
        );
      this.logger.warn(
        { campaignId: winner.campaignId, userId: winner.userId, slot: winner.slot, limit: current?.limit },
        'pending winner above the lowered limit removed',
      );
    }
    return settlement;
  }

  /**
   * Puts the limit back up to `limit` over whatever the database holds now (another operator's pause or end
   * since stays), under a version newer than both the database's and the counter's, retrying while other
   * changes land in between. Returns the limit in force after it.
   */
  private async putLimitBack(lowered: Campaign, limit: number, options: SaveOptions): Promise<number> {
    const id = lowered.id;
    for (let attempt = 1; attempt <= PUT_BACK_TRIES; attempt += 1) {
      const [current, counter] = await orUnavailable(
        Promise.all([this.campaigns.findById(id), this.slots.inspect(id)]),
        'campaign lookup',
      );
      if (current === null) break;
      if (current.limit >= limit) return current.limit; // raised meanwhile, by someone else
      const version = Math.max(current.version, counter.version ?? 0) + 1;
      const restored: Campaign = { ...current, limit, version };
      this.logger.warn(
        { campaignId: id, limit: current.limit, restoredLimit: limit, attempt },
        'a winner stands above the lowered limit: limit put back',
      );
      const published = await orUnavailable(
        this.slots.publish(id, settingsOf(restored), false, {
          strict: true,
          superseded: { version: current.version, floor: limit },
        }),
        'publish',
      );
      if (published.kind === 'stale') continue;
      let saved: 'saved' | 'conflict';
      try {
        saved = await this.campaigns.save(restored, current.version);
      } catch (error) {
        await this.putCounterBack(restored);
        throw new AppError('SERVICE_UNAVAILABLE', 'campaign could not be stored', undefined, { cause: error });
      }
      if (saved === 'conflict') {
        await this.putCounterBack(restored);
        continue;
      }
      await this.recordAudit({ ...options, action: 'limit-restored' }, current, restored, this.clock.now());
      return limit;
    }
    this.logger.error(
      { campaignId: id, limit: lowered.limit, restoredLimit: limit },
      'a winner stands above the lowered limit and the limit could not be put back: save the campaign again',
    );
    throw new AppError('CAMPAIGN_CHANGED', undefined, { campaignId: id });
  }

  /** Step 3; on failure the counter is put back to the database's settings before the error is raised. */
  private async store(campaign: Campaign, previous: Campaign | null): Promise<void> {
    let stored: 'saved' | 'conflict';
    try {
      stored = await this.campaigns.save(campaign, previous?.version ?? null);
    } catch (error) {
      await this.putCounterBack(campaign);
      throw new AppError('SERVICE_UNAVAILABLE', 'campaign could not be stored', undefined, { cause: error });
    }
    if (stored === 'conflict') {
      await this.putCounterBack(campaign);
      throw new AppError('CAMPAIGN_CHANGED', undefined, { campaignId: campaign.id });
    }
  }

  /**
   * The counter took settings the database did not: it gets the database's as they are now, under a newer
   * version still, so nothing older can win later. Slots claims took under the refused settings above the
   * database's limit (a raised limit that never landed) can never be recorded: the counter comes down to
   * max(the database's limit, the highest winner) with them, so that limit stays publishable. Strict: a
   * save that published a newer version meanwhile keeps it.
   */
  private async putCounterBack(rejected: Campaign): Promise<void> {
    try {
      const [current, highestSlot] = await Promise.all([
        this.campaigns.findById(rejected.id),
        this.winners.maxSlot(rejected.id),
      ]);
      if (current === null) return; // a campaign never created: its counter settings are harmless until it is
      const settings = { ...settingsOf(current), version: rejected.version + 1 };
      const superseded = {
        version: current.version,
        floor: Math.max(current.limit, highestSlot),
        refused: rejected.version,
      };
      const put = await this.slots.publish(rejected.id, settings, false, { strict: true, superseded });
      if (put.kind === 'limit_below_counter') throw new Error(`counter ${put.counter} above the stored limit`);
    } catch (error) {
      this.logger.error(
        { err: error, campaignId: rejected.id, version: rejected.version },
        'counter holds settings the database refused: an operator must save the campaign again',
      );
    }
  }

  private async recordAudit(options: SaveOptions, before: Campaign | null, after: Campaign, at: Date): Promise<void> {
    const action = options.action ?? (before === null ? 'create' : 'update');
    try {
      await this.audit.record({ actor: options.actor, action, campaignId: after.id, before, after, at });
    } catch (error) {
      // The change is made; a lost audit line must be visible, not silently dropped.
      this.logger.error({ err: error, campaignId: after.id, actor: options.actor, action }, 'audit entry not written');
    }
  }
}

/** How far before now an end may be asked for and taken as "now": a client's clock a little behind, the request's own time. */
export const END_CLOCK_SKEW_MS = 5_000;

/** An end that moved. */
const endMoved = (previous: Campaign | null, changes: CampaignChanges): changes is { endsAt: Date } =>
  previous !== null && changes.endsAt instanceof Date && changes.endsAt.getTime() !== previous.endsAt?.getTime();

/**
 * A change may not end a campaign in the past: winners recorded since that moment would stand after its
 * end, and the stored history would say the campaign handed out slots it had closed. An end asked for
 * more than END_CLOCK_SKEW_MS before now is refused (CAMPAIGN_END_IN_PAST); one less far back means
 * "now". A new campaign's window may lie anywhere: it has no winners.
 */
function endNotBeforeNow(draft: Campaign, previous: Campaign | null, changes: CampaignChanges, now: Date): Campaign {
  if (endMoved(previous, changes) && now.getTime() - changes.endsAt.getTime() > END_CLOCK_SKEW_MS) {
    throw new AppError('CAMPAIGN_END_IN_PAST', undefined, {
      endsAt: changes.endsAt.toISOString(),
      now: now.toISOString(),
    });
  }
  return endsNoEarlierThan(draft, previous, changes, now);
}

/**
 * The end stored is no earlier than the moment of storing: claims keep winning by the database's reading
 * until the change lands there (each winner reads the campaign fresh before it is recorded), so an end
 * that passed while the change was on its way would fall before winners recorded meanwhile. The counter
 * got the end as asked (step 2): from then on it hands out no slot after it, and the database's end,
 * a little later, is the one every recorded winner began before.
 */
function endsNoEarlierThan(
  campaign: Campaign,
  previous: Campaign | null,
  changes: CampaignChanges,
  now: Date,
): Campaign {
  if (!endMoved(previous, changes) || campaign.endsAt === null || campaign.endsAt >= now) return campaign;
  return { ...campaign, endsAt: now };
}

/** The campaign as changed, at the version it was read at (the caller sets the new one). */
function merge(id: string, previous: Campaign | null, changes: CampaignChanges, now: Date): Campaign {
  const base: Campaign = previous ?? {
    id,
    name: id,
    ...CAMPAIGN_DEFAULTS,
    startsAt: now,
    endsAt: null,
    paused: false,
    version: 0,
    run: 0,
    runSince: 0,
    resetting: false,
    createdAt: now,
    updatedAt: now,
  };
  const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
  return {
    ...base,
    ...defined,
    id,
    version: base.version,
    run: base.run,
    runSince: base.runSince,
    resetting: base.resetting,
    createdAt: base.createdAt,
    updatedAt: now,
  };
}

/** Pending winners decided at once by a lowered limit: each is up to two database updates in flight. */
const DECIDE_AT_ONCE = 8;

interface Failed {
  error: unknown;
}

/** `decide` over `items`, `size` at a time, the results in their order. */
async function inBatches<T, R>(items: readonly T[], size: number, decide: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    results.push(...(await Promise.all(items.slice(start, start + size).map(decide))));
  }
  return results;
}
