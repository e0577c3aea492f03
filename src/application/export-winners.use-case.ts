import { voucherStatus, type VoucherStatus } from '../domain/voucher';
import { AppError } from '../errors';
import type { CampaignStore } from '../ports/campaign-store.port';
import type { Clock } from '../ports/clock.port';
import type { UserDirectory } from '../ports/user-directory.port';
import type { VoucherStore } from '../ports/voucher-store.port';
import type { WinnerStore } from '../ports/winner-store.port';

export interface WinnerRow {
  slot: number;
  userId: string;
  account: string;
  voucherCode: string;
  wonAt: Date;
  voucherStatus: VoucherStatus;
}

const BATCH = 500;

/**
 * A campaign's winners by slot, with account and voucher status, in batches: an export of any size runs
 * in constant memory.
 */
export class ExportWinners {
  constructor(
    private readonly campaigns: CampaignStore,
    private readonly winners: WinnerStore,
    private readonly vouchers: VoucherStore,
    private readonly users: UserDirectory,
    private readonly clock: Clock,
  ) {}

  /** Checks the campaign exists before the first row is sent (an error after that cannot change the status). */
  async open(campaignId: string): Promise<AsyncIterable<WinnerRow[]>> {
    if ((await this.campaigns.findById(campaignId)) === null) {
      throw new AppError('CAMPAIGN_NOT_FOUND', undefined, { campaignId });
    }
    return this.rows(campaignId);
  }

  private async *rows(campaignId: string): AsyncIterable<WinnerRow[]> {
    const now = this.clock.now();
    for await (const all of this.winners.streamByCampaign(campaignId, BATCH)) {
      const batch = all.filter((w) => w.pending !== true); // not decided yet: listed once settled
      if (batch.length === 0) continue;
      const userIds = batch.map((w) => w.userId);
      const [accounts, vouchers] = await Promise.all([
        this.users.accountsOf(userIds),
        this.vouchers.findForUsers(campaignId, userIds),
      ]);
      const issued = new Map(vouchers.map((v) => [v.userId, v]));
      yield batch.map((w) => ({
        slot: w.slot,
        userId: w.userId,
        account: accounts.get(w.userId) ?? '',
        voucherCode: w.voucherCode,
        wonAt: w.createdAt,
        voucherStatus: voucherStatus(issued.get(w.userId) ?? null, now),
      }));
    }
  }
}
