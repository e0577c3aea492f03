import type { Campaign } from '../domain/campaign';
import { AppError } from '../errors';
import type { CampaignStore } from '../ports/campaign-store.port';
import type { ParticipationStore } from '../ports/participation-store.port';
import type { SlotCounter } from '../ports/slot-counter.port';
import type { VoucherStore } from '../ports/voucher-store.port';
import type { WinnerStore } from '../ports/winner-store.port';
import { orUnavailable } from './support/dependency-call';

export interface CampaignStats {
  participants: number;
  winners: number;
  vouchersIssued: number;
  vouchersPending: number;
  /** Slots handed out by the counter; null when Redis lost it (claims closed until reconciled). */
  counter: number | null;
  /** Slots still to win: the limit minus the counter, plus freed slots. */
  remainingSlots: number | null;
  freeSlots: number;
  /** What the counter and the database disagree on; all zero when in sync. */
  drift: {
    /** Slots the counter handed out that no winner record holds (claims in flight, or holes). */
    counterAheadOfWinners: number | null;
    /** Winners the counter's slot map does not know. */
    winnersMissingFromCounter: number;
    /** The counter's limit differs from the campaign's. */
    limitMismatch: boolean;
    /**
     * The highest slot recorded lies above the campaign's limit: a winner pending a decision (a claim that
     * inserted across a lowered limit, after Redis lost its slots), or one settled while the limit was being
     * lowered, the limit's put-back failed (the change answered an error: save the campaign again).
     */
    winnersAboveLimit: boolean;
  };
}

/** A campaign with live figures from both stores, for operators. */
export class GetCampaignStats {
  constructor(
    private readonly campaigns: CampaignStore,
    private readonly participations: ParticipationStore,
    private readonly winners: WinnerStore,
    private readonly vouchers: VoucherStore,
    private readonly slots: SlotCounter,
  ) {}

  async execute(campaignId: string): Promise<{ campaign: Campaign; stats: CampaignStats }> {
    const campaign = await orUnavailable(this.campaigns.findById(campaignId), 'campaign lookup');
    if (campaign === null) throw new AppError('CAMPAIGN_NOT_FOUND', undefined, { campaignId });
    const [participants, winners, vouchersIssued, counter, highestSlot] = await orUnavailable(
      Promise.all([
        this.participations.count(campaignId),
        this.winners.count(campaignId),
        this.vouchers.count(campaignId),
        this.slots.inspect(campaignId),
        this.winners.maxSlot(campaignId),
      ]),
      'statistics',
    );
    const handedOut = counter.counter === null ? null : counter.counter - counter.free;
    return {
      campaign,
      stats: {
        participants,
        winners,
        vouchersIssued,
        vouchersPending: Math.max(0, winners - vouchersIssued),
        counter: counter.counter,
        remainingSlots: counter.counter === null ? null : Math.max(0, campaign.limit - counter.counter) + counter.free,
        freeSlots: counter.free,
        drift: {
          counterAheadOfWinners: handedOut === null ? null : handedOut - winners,
          winnersMissingFromCounter: Math.max(0, winners - counter.holders),
          limitMismatch: counter.limit !== campaign.limit,
          winnersAboveLimit: highestSlot > campaign.limit,
        },
      },
    };
  }
}
