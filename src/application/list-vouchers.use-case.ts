import { voucherFor, voucherStatus, type VoucherStatus } from '../domain/voucher';
import type { CampaignStore } from '../ports/campaign-store.port';
import type { Clock } from '../ports/clock.port';
import type { VoucherStore } from '../ports/voucher-store.port';
import type { WinnerStore } from '../ports/winner-store.port';
import { orUnavailable } from './support/dependency-call';

export interface VoucherListItem {
  campaignId: string;
  code: string;
  slot: number;
  discount: number;
  voucherType: string;
  description: string;
  expireDate: Date;
  status: VoucherStatus;
}

/**
 * A user's vouchers, one per campaign won. A winner whose voucher the worker has not written yet is listed
 * as pending, with the code and expiry the voucher will have.
 */
export class ListVouchers {
  constructor(
    private readonly winners: WinnerStore,
    private readonly vouchers: VoucherStore,
    private readonly campaigns: CampaignStore,
    private readonly clock: Clock,
  ) {}

  async execute(userId: string): Promise<VoucherListItem[]> {
    const now = this.clock.now();
    const [winners, issued] = await orUnavailable(
      Promise.all([this.winners.listByUser(userId), this.vouchers.listByUser(userId)]),
      'voucher lookup',
    );
    const issuedByCampaign = new Map(issued.map((v) => [v.campaignId, v]));
    const items: VoucherListItem[] = [];
    for (const winner of winners) {
      if (winner.pending === true) continue; // not decided yet: nobody is told of it until it is settled
      let voucher = issuedByCampaign.get(winner.campaignId) ?? null;
      const status = voucherStatus(voucher, now);
      if (voucher === null) {
        const campaign = await orUnavailable(this.campaigns.findById(winner.campaignId), 'campaign lookup');
        if (campaign === null) continue;
        voucher = voucherFor(campaign, userId, winner.voucherCode, winner.createdAt, now);
      }
      const { campaignId, code, discount, voucherType, description, expireDate } = voucher;
      items.push({ campaignId, code, slot: winner.slot, discount, voucherType, description, expireDate, status });
    }
    return items;
  }
}
