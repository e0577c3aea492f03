import type { Campaign } from './campaign';

export type VoucherStatus = 'pending' | 'issued' | 'expired';

export interface Voucher {
  code: string;
  userId: string;
  campaignId: string;
  /** Percent, 0..100. */
  discount: number;
  description: string;
  expireDate: Date;
  voucherType: string;
  createdAt: Date;
}

const MS_PER_DAY = 24 * 60 * 60 * 1000;

/**
 * The voucher of a winner whose code is `code` (the winner record's). Its validity runs from the moment
 * the slot was won, so reply and stored voucher agree.
 */
export function voucherFor(campaign: Campaign, userId: string, code: string, wonAt: Date, now: Date): Voucher {
  return {
    code,
    userId,
    campaignId: campaign.id,
    discount: campaign.discount,
    description: campaign.description,
    expireDate: new Date(wonAt.getTime() + campaign.voucherValidityDays * MS_PER_DAY),
    voucherType: campaign.voucherType,
    createdAt: now,
  };
}

export function voucherStatus(voucher: Pick<Voucher, 'expireDate'> | null, now: Date): VoucherStatus {
  if (voucher === null) return 'pending';
  return voucher.expireDate <= now ? 'expired' : 'issued';
}
