import { voucherFor } from '../domain/voucher';
import { AppError } from '../errors';
import type { CampaignStore } from '../ports/campaign-store.port';
import type { Clock } from '../ports/clock.port';
import type { VoucherStore } from '../ports/voucher-store.port';
import type { WinnerStore } from '../ports/winner-store.port';

/**
 * Writes a winner's voucher. Idempotent: the voucher store is unique per (campaign, user), so a retried
 * or duplicated job finds the voucher already there and succeeds without writing a second one.
 */
export class IssueVoucher {
  constructor(
    private readonly winners: WinnerStore,
    private readonly campaigns: CampaignStore,
    private readonly vouchers: VoucherStore,
    private readonly clock: Clock,
  ) {}

  async execute(campaignId: string, userId: string): Promise<'created' | 'exists'> {
    // Only a recorded winner gets a voucher, whatever a job claims.
    const winner = await this.winners.find(campaignId, userId);
    if (winner === null) throw new AppError('WINNER_NOT_FOUND', undefined, { campaignId, userId });
    const campaign = await this.campaigns.findById(campaignId);
    if (campaign === null) throw new AppError('CAMPAIGN_NOT_FOUND', undefined, { campaignId });
    const voucher = { ...voucherFor(campaign, userId, winner.createdAt, this.clock.now()), code: winner.voucherCode };
    return this.vouchers.insert(voucher);
  }
}
