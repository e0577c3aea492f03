import { isRunningAt, type Campaign } from '../domain/campaign';
import type { CampaignResult } from '../domain/login-outcome';
import { isOfEndedRun, isWinningSlot, type SlotClaim, type Winner } from '../domain/slot';
import { termsOf, voucherTermsFor, type ToldVoucher, type VoucherTerms } from '../domain/voucher';
import { voucherCodeFor } from './support/voucher-code';
import type { CampaignStore } from '../ports/campaign-store.port';
import type { Clock } from '../ports/clock.port';
import type { Logger } from '../ports/logger.port';
import type { ParticipationStore } from '../ports/participation-store.port';
import type { ReconcileTrigger } from '../ports/reconcile-trigger.port';
import type { SlotCounter } from '../ports/slot-counter.port';
import type { SoldOutView } from '../ports/sold-out-view.port';
import type { VoucherQueue } from '../ports/voucher-queue.port';
import type { VoucherStore } from '../ports/voucher-store.port';
import type { WinnerStore } from '../ports/winner-store.port';
import { withTimeout } from './support/dependency-call';
import type { LateParticipants } from './support/late-participants';
import { settleWinner, type Settlement } from './support/settle-winner';

export interface ClaimCampaignSlotDeps {
  slots: SlotCounter;
  /** Read fresh (never from a cache) before a winner is written: the settings the slot was won under must still be the database's. */
  campaigns: CampaignStore;
  participations: ParticipationStore;
  winners: WinnerStore;
  /**
   * Read for a winner logging in again: the answer shows the voucher stored, whatever the terms are now.
   * A winner removed before it was settled has any voucher written for it removed too.
   */
  vouchers: Pick<VoucherStore, 'findForUsers' | 'deleteOne'>;
  voucherQueue: VoucherQueue;
  reconcileTrigger: ReconcileTrigger;
  lateParticipants: LateParticipants;
  /** Answers "full" for a sold-out campaign without asking the counter, when it knows for certain. */
  soldOutView: SoldOutView;
  clock: Clock;
  logger: Logger;
  /** Time budget for handing the winner to the queue; past it the reconciler delivers the voucher. */
  enqueueTimeoutMs: number;
  /** When a slot's holder answered 503 is tried again here (FOLLOW_UP_DELAYS_MS unless told). */
  followUpDelaysMs?: readonly number[];
}

/** Slots tried for one claim when the database keeps finding them taken (a counter far behind). */
const MAX_SLOT_TRIES = 5;
/** One reconciliation request per campaign and process per this many ms, however many claims fail. */
const TRIGGER_INTERVAL_MS = 1_000;
/** After a slot's holder was answered 503, the claim is finished here at these delays, until one decides. */
const FOLLOW_UP_DELAYS_MS: readonly number[] = [1_000, 3_000, 9_000];

const unavailable = (campaignId: string): CampaignResult => ({
  campaignId,
  outcome: 'unavailable',
  errorCode: 'SERVICE_UNAVAILABLE',
});

/**
 * Where a login becomes a slot. Every step is safe to repeat, so a login interrupted between two steps
 * completes when the user tries again:
 *   1. claim a slot from the counter (one atomic Redis script); a login that gets none because the
 *      campaign is full or paused is recorded as a participation later, in a batch (LateParticipants);
 *   2. a slot's holder has its participation recorded (unique per campaign and user) while the campaign is
 *      read fresh, side by side;
 *   3. record the winner in the database (unique per user and per slot: the final guard), pending, and
 *      settle it on a read of the campaign after the insert (removed above a limit lowered meanwhile);
 *   4. hand the winner to the voucher queue (best effort: the winner record is the outbox).
 * The answer is "won" only once step 3 has settled the record. When the database knows better than the
 * counter (Redis went backwards), the database wins: a taken slot moves the claim forward, a recorded user
 * keeps their recorded slot. Claiming before writing anything keeps a burst's first wave (every connection's
 * first login, before anyone knows the campaign is full) from queueing thousands of database writes in
 * front of its winners: only a slot's holder writes before it is answered.
 */
export class ClaimCampaignSlot {
  private readonly lastTrigger = new Map<string, number>();
  /** The follow-up waiting per campaign and user (key: campaignId, NUL, userId). */
  private readonly followUps = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly deps: ClaimCampaignSlotDeps) {}

  async claim(campaign: Campaign, userId: string): Promise<CampaignResult> {
    const now = this.deps.clock.now();
    if (!isRunningAt(campaign, now)) return this.outsideWindow(campaign, userId, now);
    try {
      return await this.claimRunning(campaign, userId, now);
    } catch (error) {
      this.deps.logger.error({ err: error, campaignId: campaign.id, userId }, 'claim undecided');
      return unavailable(campaign.id);
    }
  }

  /**
   * A campaign that is not running hands out nothing; a winner it recorded (a login answered 503 that
   * reconciliation completed, say) still hears already_won with their slot and voucher after the end.
   */
  private async outsideWindow(campaign: Campaign, userId: string, now: Date): Promise<CampaignResult> {
    const notActive: CampaignResult = {
      campaignId: campaign.id,
      outcome: 'not_active',
      errorCode: 'CAMPAIGN_NOT_ACTIVE',
    };
    if (campaign.startsAt.getTime() > now.getTime()) return notActive;
    try {
      const stored = this.storedVoucher(campaign.id, userId); // beside the winner's read
      const recorded = await this.deps.winners.find(campaign.id, userId);
      if (recorded === null || isOfEndedRun(recorded, campaign)) return notActive;
      if (recorded.pending === true && (await this.stillStands(recorded, null)) !== 'stands') return notActive;
      return await this.answerWinner(campaign, recorded, 'already_won', stored);
    } catch (error) {
      this.deps.logger.warn({ err: error, campaignId: campaign.id, userId }, 'winner lookup failed after the end');
      return notActive;
    }
  }

  /**
   * This process knows, without asking anyone, that the campaign is running and sold out for this user
   * (the sold-out view): claim() would answer with fullForLoser(). Changes nothing.
   */
  knownFull(campaign: Campaign, userId: string, now: Date): boolean {
    return isRunningAt(campaign, now) && this.deps.soldOutView.soldOutFor(campaign.id, userId);
  }

  /** A known-full campaign's answer to a user who holds no slot: "full", the participation recorded later. */
  fullForLoser(campaignId: string, userId: string, now: Date): CampaignResult {
    this.deps.lateParticipants.add(campaignId, userId, now);
    return { campaignId, outcome: 'full', errorCode: 'CAMPAIGN_FULL' };
  }

  private async claimRunning(campaign: Campaign, userId: string, now: Date): Promise<CampaignResult> {
    const { slots, lateParticipants, soldOutView } = this.deps;
    const campaignId = campaign.id;
    if (soldOutView.soldOutFor(campaignId, userId)) return this.fullForLoser(campaignId, userId, now);

    const claim = await slots.claim(campaignId, userId);
    switch (claim.kind) {
      case 'full':
        if (claim.stateVersion !== undefined) soldOutView.noteFull(campaignId, claim.stateVersion);
        return this.fullForLoser(campaignId, userId, now);
      case 'paused':
        lateParticipants.add(campaignId, userId, now);
        return { campaignId, outcome: 'paused', errorCode: 'CAMPAIGN_PAUSED' };
      case 'not_active':
        // Outside the window by Redis's clock: as outside it by ours (outsideWindow), nothing is recorded.
        return { campaignId, outcome: 'not_active', errorCode: 'CAMPAIGN_NOT_ACTIVE' };
      case 'not_ready':
        this.deps.logger.warn({ campaignId, userId, reason: claim.reason }, 'counter not ready: claims closed');
        this.requestReconcile(campaignId);
        return unavailable(campaignId);
      case 'won':
      case 'held':
        try {
          return await this.secureWinner(campaign, userId, claim, now);
        } catch (error) {
          this.followUp(campaign, userId, 0);
          throw error;
        }
    }
  }

  /** Stops the follow-ups not yet started (the process is stopping; reconciliation finishes those claims). */
  close(): void {
    this.closed = true;
    for (const timer of this.followUps.values()) clearTimeout(timer);
    this.followUps.clear();
  }

  /**
   * A slot's holder whose claim ended undecided (the database did not answer within its budget: the
   * answer was 503) is finished here a moment later, as their own retry would finish it: the counter
   * answers "held" with their slot, and the winner is recorded and the voucher queued, or the slot given up
   * if the campaign no longer allows it (the same checks as any claim). A slot the login no longer holds is
   * not replaced by another. Without it a holder who does not retry waits for reconciliation, which leaves
   * a held slot alone for its grace period (30 s) lest it race a claim still under way. One follow-up
   * waits at a time per campaign and user (a user's failing retries start no more), three tries in all;
   * the slots held are at most the campaign's limit, so the follow-ups are too. What the tries cannot
   * decide is left to reconciliation, as before.
   */
  private followUp(campaign: Campaign, userId: string, attempt: number): void {
    const delay = (this.deps.followUpDelaysMs ?? FOLLOW_UP_DELAYS_MS)[attempt];
    const key = `${campaign.id}\u0000${userId}`;
    if (delay === undefined || this.closed || this.followUps.has(key)) return;
    const timer = setTimeout(() => {
      this.followUps.delete(key);
      void this.finishUndecided(campaign, userId, attempt);
    }, delay);
    timer.unref();
    this.followUps.set(key, timer);
  }

  private async finishUndecided(campaign: Campaign, userId: string, attempt: number): Promise<void> {
    const campaignId = campaign.id;
    try {
      const now = this.deps.clock.now();
      const claim = await this.deps.slots.claim(campaignId, userId);
      // Only the slot the login held is finished. A fresh one means that slot is gone (given up, reconciled
      // away, the campaign reset and opened again): the login that asked is not this run's, so the slot
      // goes back at once. Anything else (full, paused, ended) is no slot at all. An answer other than an
      // error is a decision (a 503 answer here gave the slot up or asked for reconciliation).
      if (claim.kind === 'won') return await this.giveUp(campaignId, userId, claim.slot); // never follows up
      const result = claim.kind === 'held' ? await this.secureWinner(campaign, userId, claim, now) : null;
      this.deps.logger.info(
        { campaignId, userId, attempt: attempt + 1, outcome: result?.outcome ?? claim.kind },
        'undecided claim followed up',
      );
    } catch (error) {
      this.deps.logger.warn(
        { err: error, campaignId, userId, attempt: attempt + 1 },
        'undecided claim still undecided',
      );
      this.followUp(campaign, userId, attempt + 1);
    }
  }

  /** Steps 3 and 4: make the slot durable, moving forward while the database finds it taken. */
  private async secureWinner(
    campaign: Campaign,
    userId: string,
    claim: Extract<SlotClaim, { kind: 'won' | 'held' }>,
    now: Date,
  ): Promise<CampaignResult> {
    const campaignId = campaign.id;
    if (claim.kind === 'held') {
      // Most held slots belong to recorded winners logging in again: a read, not a refused insert.
      const stored = this.storedVoucher(campaignId, userId); // beside the winner's read
      const recorded = await this.deps.winners.find(campaignId, userId);
      if (recorded !== null && isOfEndedRun(recorded, campaign)) return this.ofEndedRun(campaignId, recorded);
      if (recorded !== null) return this.alreadyWon(campaign, recorded, claim.slot, stored);
    }
    let { slot, limit, version } = claim;
    for (let attempt = 1; attempt <= MAX_SLOT_TRIES; attempt += 1) {
      const [current] = await Promise.all([
        this.deps.campaigns.findById(campaignId),
        // The winner's login is recorded before the win, beside the read (a repeat is no error).
        attempt === 1 ? this.deps.participations.record(campaignId, userId, now) : undefined,
      ]);
      if (current === null) return unavailable(campaignId);
      if (version < current.runSince) return this.ofEarlierRun(current, userId, slot, version);
      const refusal = await this.refusal(current, userId, slot, limit, now);
      if (refusal !== null) return refusal;
      const winner: Winner = {
        campaignId,
        userId,
        slot,
        voucherCode: voucherCodeFor(campaignId, userId),
        createdAt: now,
        run: current.run,
        pending: true,
      };
      const recorded = await this.deps.winners.record(winner);
      if (recorded.kind === 'recorded') {
        // The voucher is asked for beside the run check, not after it: a job that runs before a failed
        // check's delete reads the new run itself and writes nothing (IssueVoucher).
        const told = toldVoucher(campaign, winner);
        const [settlement] = await Promise.all([this.stillStands(winner, slot), this.requestVoucher(winner, told)]);
        if (settlement !== 'stands') return notStanding(campaignId, settlement);
        this.deps.logger.info({ campaignId, userId, slot }, 'winner recorded');
        return voucherAnswer(winner, told, 'won');
      }
      if (recorded.kind === 'user_already_won') {
        if (isOfEndedRun(recorded.winner, current)) return this.ofEndedRun(campaignId, recorded.winner);
        return this.alreadyWon(campaign, recorded.winner, slot, this.storedVoucher(campaignId, userId));
      }
      // slot_taken: the counter handed this slot out twice (it went backwards). Move forward.
      this.deps.logger.warn(
        { campaignId, userId, slot, attempt },
        'slot already recorded for another user: moving forward',
      );
      const next = await this.deps.slots.reassign(campaignId, userId, slot);
      if (next.kind === 'full') return { campaignId, outcome: 'full', errorCode: 'CAMPAIGN_FULL' };
      if (next.kind === 'not_ready') {
        this.requestReconcile(campaignId);
        return unavailable(campaignId);
      }
      if (next.kind === 'changed') return unavailable(campaignId); // another request of this user took over
      ({ slot, limit, version } = next);
    }
    this.deps.logger.warn({ campaignId, userId, tries: MAX_SLOT_TRIES }, 'counter far behind the winners: reconciling');
    this.requestReconcile(campaignId);
    return unavailable(campaignId);
  }

  /**
   * Why a slot the counter handed out may not become a winner now, or null when it may. Read fresh, never
   * from a cache: the slot must lie within the limit in force (the counter's, which a concurrent change
   * lowers atomically, and the database's, which an old Redis image may not know), and the database must
   * not say paused or outside the window. A slot refused for any of these is given up (the user's entry
   * removed; reconciliation frees the slot): the user was told no, so nothing may record them later, and
   * their next login claims afresh. Only an unreadable campaign leaves it held (the answer is 503).
   */
  private async refusal(
    current: Campaign,
    userId: string,
    slot: number,
    limit: number,
    now: Date,
  ): Promise<CampaignResult | null> {
    const campaignId = current.id;
    if (current.paused) {
      await this.giveUp(campaignId, userId, slot);
      return { campaignId, outcome: 'paused', errorCode: 'CAMPAIGN_PAUSED' };
    }
    if (current.resetting || !isRunningAt(current, now)) {
      await this.giveUp(campaignId, userId, slot);
      return { campaignId, outcome: 'not_active', errorCode: 'CAMPAIGN_NOT_ACTIVE' };
    }
    if (isWinningSlot(slot, Math.min(limit, current.limit))) return null;
    this.deps.logger.warn(
      { campaignId, userId, slot, limit, databaseLimit: current.limit },
      'slot above the limit in force: not recorded',
    );
    await this.giveUp(campaignId, userId, slot);
    return unavailable(campaignId);
  }

  /**
   * A winner record checked against the campaign read again after its insert (`settleWinner`): the claim
   * that wrote it, or another login of the user finding it still pending, settles it, or removes it when
   * its slot lies above a limit lowered between the claim's read and its insert (a counter that lost its
   * held slots to a Redis reset lets such a change through; docs/capacity.md). A removed winner's slot is
   * given up (`heldSlot`, the slot the user's counter entry holds) and the user told full; nothing records
   * them later. A record of a run a reset ended meanwhile is removed; the voucher job, asked for beside
   * the claim's check, reads the new run itself and writes nothing. A claim that stops before this check
   * leaves its record pending, for the user's next login or reconciliation to decide the same way.
   */
  private async stillStands(winner: Winner, heldSlot: number | null): Promise<Settlement> {
    const { campaignId, userId, run, slot } = winner;
    const current = await this.deps.campaigns.findById(campaignId);
    const settlement = await settleWinner(this.deps, winner, current);
    if (settlement === 'ended_run') {
      this.deps.logger.warn(
        { campaignId, userId, slot, run, campaignRun: current?.run },
        'winner recorded after a reset ended its run: removed',
      );
    } else if (settlement === 'removed') {
      if (heldSlot === null) this.requestReconcile(campaignId);
      else await this.giveUp(campaignId, userId, heldSlot);
      this.deps.logger.warn(
        { campaignId, userId, slot, limit: current?.limit },
        'winner recorded above a limit lowered meanwhile: removed',
      );
    }
    return settlement;
  }

  /**
   * The slot was handed out under settings older than the current run (the counter of an earlier run, before
   * the reset zeroed it): it is no slot of this run, whatever the campaign says now (it may be open again).
   * Nothing is recorded and nothing given up (the slot is the old counter's); the user's next login claims
   * in this run.
   */
  private ofEarlierRun(current: Campaign, userId: string, slot: number, version: number): CampaignResult {
    this.deps.logger.warn(
      { campaignId: current.id, userId, slot, version, runSince: current.runSince, run: current.run },
      'slot of an earlier run: not recorded',
    );
    return unavailable(current.id);
  }

  /**
   * The user's record is of a run a reset ended (its claim stopped before removing it): not a winner of this
   * run, and it blocks their claim until reconciliation removes it. Answered 503, so they try again.
   */
  private ofEndedRun(campaignId: string, recorded: Winner): CampaignResult {
    this.deps.logger.warn(
      { campaignId, userId: recorded.userId, run: recorded.run },
      'winner record of an ended run: reconciling',
    );
    this.requestReconcile(campaignId);
    return unavailable(campaignId);
  }

  /**
   * The user's slot, refused, stops being theirs (if they still hold it) and is free at once for the next
   * claim: a slot refused while an operator's change is half saved (the counter has it, the database not
   * yet) would otherwise answer "full" to everyone until reconciliation freed it, a grace period later.
   * The counter handed out a slot the database refuses: its settings may be stale (an old Redis image), so
   * reconciliation is asked to publish the database's before more slots go the same way.
   */
  private async giveUp(campaignId: string, userId: string, slot: number): Promise<void> {
    this.requestReconcile(campaignId);
    try {
      await this.deps.slots.giveUp(campaignId, userId, slot);
    } catch (error) {
      // Left held: reconciliation records it only while the campaign runs, within its limit.
      this.deps.logger.warn({ err: error, campaignId, userId, slot }, 'refused slot not given up');
    }
  }

  /** The user's recorded slot stands; a different slot the counter handed them goes back to it. */
  private async alreadyWon(
    campaign: Campaign,
    stored: Winner,
    counterSlot: number,
    storedVoucher: Promise<VoucherTerms | null>,
  ): Promise<CampaignResult> {
    // Recorded by a claim still deciding, or one that stopped before it did: decided here first.
    if (stored.pending === true) {
      const settlement = await this.stillStands(stored, counterSlot);
      if (settlement !== 'stands') return notStanding(campaign.id, settlement);
    }
    if (stored.slot !== counterSlot) {
      this.deps.logger.warn(
        { campaignId: campaign.id, userId: stored.userId, slot: stored.slot, counterSlot },
        'counter corrected to the recorded slot',
      );
      await this.deps.slots.moveSlot(campaign.id, stored.userId, counterSlot, stored.slot);
    }
    return this.answerWinner(campaign, stored, 'already_won', storedVoucher);
  }

  /**
   * A recorded winner's answer: the voucher stored for them if there is one (an operator may have changed the
   * campaign's terms since it was written), else the voucher of the terms now, which their job then writes.
   */
  private async answerWinner(
    campaign: Campaign,
    winner: Winner,
    outcome: 'won' | 'already_won',
    stored: Promise<VoucherTerms | null>,
  ): Promise<CampaignResult> {
    const written = await stored;
    const told: ToldVoucher =
      written !== null && written.code === winner.voucherCode
        ? { terms: written, wonAt: winner.createdAt }
        : toldVoucher(campaign, winner);
    await this.requestVoucher(winner, told);
    return voucherAnswer(winner, told, outcome);
  }

  /** The user's stored voucher of the campaign, or null (none, or not readable now: the answer does without). */
  private async storedVoucher(campaignId: string, userId: string): Promise<VoucherTerms | null> {
    try {
      const [stored] = await this.deps.vouchers.findForUsers(campaignId, [userId]);
      return stored === undefined ? null : termsOf(stored);
    } catch {
      return null;
    }
  }

  /** The job carries the voucher the winner is answered with: the one it writes for their record. */
  private async requestVoucher({ campaignId, userId, run }: Winner, told: ToldVoucher): Promise<void> {
    try {
      await withTimeout(
        this.deps.voucherQueue.requestIssue(campaignId, userId, run, told),
        this.deps.enqueueTimeoutMs,
        'enqueue',
      );
    } catch (error) {
      // The winner record stands; reconciliation finds winners without a voucher and enqueues them again.
      this.deps.logger.warn({ err: error, campaignId, userId }, 'voucher enqueue failed; left to reconciliation');
    }
  }

  /** Fire and forget, at most once a second per campaign: the reconciler may be as unreachable as Redis. */
  private requestReconcile(campaignId: string): void {
    const now = Date.now();
    if (now - (this.lastTrigger.get(campaignId) ?? 0) < TRIGGER_INTERVAL_MS) return;
    this.lastTrigger.set(campaignId, now);
    withTimeout(
      this.deps.reconcileTrigger.requestReconcile(campaignId),
      this.deps.enqueueTimeoutMs,
      'reconcile request',
    ).catch((error: unknown) => this.deps.logger.warn({ err: error, campaignId }, 'reconcile request failed'));
  }
}

/** The voucher a winner is answered with: the terms of `campaign` (as this login read it) for their record. */
function toldVoucher(campaign: Campaign, winner: Winner): ToldVoucher {
  return {
    terms: voucherTermsFor(campaign, winner.userId, winner.voucherCode, winner.createdAt),
    wonAt: winner.createdAt,
  };
}

/** The answer to a claim whose winner record did not stand: removed above the limit is full, else retry. */
function notStanding(campaignId: string, settlement: Exclude<Settlement, 'stands'>): CampaignResult {
  if (settlement === 'removed') return { campaignId, outcome: 'full', errorCode: 'CAMPAIGN_FULL' };
  return unavailable(campaignId);
}

function voucherAnswer(winner: Winner, { terms }: ToldVoucher, outcome: 'won' | 'already_won'): CampaignResult {
  const { code, discount, voucherType, description, expireDate } = terms;
  return {
    campaignId: winner.campaignId,
    outcome,
    slot: winner.slot,
    voucher: { code, discount, voucherType, description, expireDate },
  };
}
