import { isRunningAt, type Campaign } from '../domain/campaign';
import type { CampaignResult } from '../domain/login-outcome';
import { isWinningSlot, type SlotClaim, type Winner } from '../domain/slot';
import { voucherCodeFor, voucherFor } from '../domain/voucher';
import type { Clock } from '../ports/clock.port';
import type { Logger } from '../ports/logger.port';
import type { ParticipationStore } from '../ports/participation-store.port';
import type { SlotCounter } from '../ports/slot-counter.port';
import type { VoucherQueue } from '../ports/voucher-queue.port';
import type { WinnerStore } from '../ports/winner-store.port';
import { withTimeout } from './dependency-call';
import type { LateParticipants } from './late-participants';

export interface ClaimCampaignSlotDeps {
  slots: SlotCounter;
  participations: ParticipationStore;
  winners: WinnerStore;
  voucherQueue: VoucherQueue;
  lateParticipants: LateParticipants;
  clock: Clock;
  logger: Logger;
  /** Time budget for handing the winner to the queue; past it the reconciler delivers the voucher. */
  enqueueTimeoutMs: number;
}

type WinningClaim = Extract<SlotClaim, { kind: 'won' | 'held' }>;

/**
 * Where a login becomes a slot. Every step is safe to repeat, so a login interrupted between two steps
 * completes when the user tries again:
 *   1. record the participation (unique per campaign and user);
 *   2. claim a slot from the counter (one atomic Redis script);
 *   3. record the winner in the database (unique per user and per slot: the final guard);
 *   4. hand the winner to the voucher queue (best effort: the winner record is the outbox).
 * The answer is "won" only once step 3 has succeeded.
 */
export class ClaimCampaignSlot {
  /** Campaigns the counter has answered "full" for: their losers skip the synchronous database write. */
  private readonly soldOut = new Set<string>();

  constructor(private readonly deps: ClaimCampaignSlotDeps) {}

  async claim(campaign: Campaign, userId: string): Promise<CampaignResult> {
    const now = this.deps.clock.now();
    if (!isRunningAt(campaign, now)) {
      return { campaignId: campaign.id, outcome: 'not_active', errorCode: 'CAMPAIGN_NOT_ACTIVE' };
    }
    try {
      return await this.claimRunning(campaign, userId, now);
    } catch (error) {
      this.deps.logger.error({ err: error, campaignId: campaign.id, userId }, 'claim undecided');
      return { campaignId: campaign.id, outcome: 'unavailable', errorCode: 'SERVICE_UNAVAILABLE' };
    }
  }

  private async claimRunning(campaign: Campaign, userId: string, now: Date): Promise<CampaignResult> {
    const { slots, participations, lateParticipants } = this.deps;
    const campaignId = campaign.id;
    const deferred = this.soldOut.has(campaignId);
    const participation = deferred ? 'deferred' : await participations.record(campaignId, userId, now);

    const claim = await slots.claim(campaignId, userId);
    switch (claim.kind) {
      case 'full':
        this.soldOut.add(campaignId);
        if (participation === 'deferred') lateParticipants.add(campaignId, userId, now);
        return {
          campaignId,
          outcome: 'full',
          errorCode: participation === 'repeat' ? 'ALREADY_PARTICIPATED' : 'CAMPAIGN_FULL',
        };
      case 'paused':
        if (participation === 'deferred') lateParticipants.add(campaignId, userId, now);
        return { campaignId, outcome: 'paused', errorCode: 'CAMPAIGN_PAUSED' };
      case 'not_ready':
        this.deps.logger.warn({ campaignId, userId, reason: claim.reason }, 'counter not ready: claims closed');
        return { campaignId, outcome: 'unavailable', errorCode: 'SERVICE_UNAVAILABLE' };
      case 'won':
        // A fresh slot while we believed the campaign sold out: its limit was raised.
        this.soldOut.delete(campaignId);
        if (participation === 'deferred') await participations.record(campaignId, userId, now);
        return this.secureWinner(campaign, userId, claim, now);
      case 'held':
        return this.secureWinner(campaign, userId, claim, now);
    }
  }

  private async secureWinner(
    campaign: Campaign,
    userId: string,
    claim: WinningClaim,
    now: Date,
  ): Promise<CampaignResult> {
    const campaignId = campaign.id;
    if (!isWinningSlot(claim.slot, claim.limit)) {
      throw new Error(`counter answered slot ${claim.slot} outside limit ${claim.limit}`);
    }
    const candidate: Winner = {
      campaignId,
      userId,
      slot: claim.slot,
      voucherCode: voucherCodeFor(campaignId, userId),
      createdAt: now,
    };
    const recorded = await this.deps.winners.record(candidate);
    let winner = candidate;
    switch (recorded.kind) {
      case 'recorded':
        this.deps.logger.info({ campaignId, userId, slot: claim.slot }, 'winner recorded');
        break;
      case 'user_already_won':
        winner = recorded.winner;
        if (winner.slot !== claim.slot) {
          this.deps.logger.warn(
            { campaignId, userId, slot: winner.slot, counterSlot: claim.slot },
            'counter slot differs from the recorded one; the recorded slot stands',
          );
        }
        break;
      case 'slot_taken':
        throw new Error(`slot ${claim.slot} of campaign ${campaignId} is already recorded for another user`);
    }
    await this.requestVoucher(campaignId, userId);
    const voucher = voucherFor(campaign, userId, winner.createdAt, now);
    return {
      campaignId,
      outcome: recorded.kind === 'recorded' ? 'won' : 'already_won',
      slot: winner.slot,
      voucher: {
        code: winner.voucherCode,
        discount: voucher.discount,
        voucherType: voucher.voucherType,
        description: voucher.description,
        expireDate: voucher.expireDate,
      },
    };
  }

  private async requestVoucher(campaignId: string, userId: string): Promise<void> {
    try {
      await withTimeout(this.deps.voucherQueue.requestIssue(campaignId, userId), this.deps.enqueueTimeoutMs, 'enqueue');
    } catch (error) {
      // The winner record stands; reconciliation finds winners without a voucher and enqueues them again.
      this.deps.logger.warn({ err: error, campaignId, userId }, 'voucher enqueue failed; left to reconciliation');
    }
  }
}
