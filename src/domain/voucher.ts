import { createHash } from 'node:crypto';

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

function digest(campaignId: string, userId: string): string {
  // A separator that cannot appear in a campaign id keeps ("a", "bc") and ("ab", "c") apart.
  return createHash('sha256').update(`${campaignId}|${userId}`).digest('hex');
}

/**
 * The voucher code is a pure function of (campaignId, userId): the login reply can show it before the
 * worker has written the voucher, and every retry or re-enqueue produces the same code. It is not a
 * bearer secret: redeeming it is tied to the owning user.
 */
export function voucherCodeFor(campaignId: string, userId: string): string {
  const hex = digest(campaignId, userId).slice(0, 16).toUpperCase();
  return `PV-${hex.slice(0, 4)}-${hex.slice(4, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}`;
}

/** The voucher's validity runs from the moment the slot was won, so reply and stored voucher agree. */
export function voucherFor(campaign: Campaign, userId: string, wonAt: Date, now: Date): Voucher {
  return {
    code: voucherCodeFor(campaign.id, userId),
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
