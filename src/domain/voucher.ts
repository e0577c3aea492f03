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

/** A voucher's terms: everything but when it was written. */
export type VoucherTerms = Omit<Voucher, 'createdAt'>;

/** The terms of a voucher (a stored one, say), without when it was written. */
export function termsOf(voucher: VoucherTerms): VoucherTerms {
  const { code, userId, campaignId, discount, description, expireDate, voucherType } = voucher;
  return { code, userId, campaignId, discount, description, expireDate, voucherType };
}

/** Whether two vouchers have the same terms (when each was written aside). */
export function sameTerms(a: VoucherTerms, b: VoucherTerms): boolean {
  return (
    a.code === b.code &&
    a.userId === b.userId &&
    a.campaignId === b.campaignId &&
    a.discount === b.discount &&
    a.description === b.description &&
    a.voucherType === b.voucherType &&
    a.expireDate.getTime() === b.expireDate.getTime()
  );
}

/**
 * The voucher a winner was answered with, and when the winner record it belongs to was made: the voucher
 * job writes exactly these terms once it has seen that record.
 */
export interface ToldVoucher {
  terms: VoucherTerms;
  wonAt: Date;
}

const MS_PER_DAY = 24 * 60 * 60 * 1000;

/**
 * The terms of the voucher of a winner whose code is `code` (the winner record's). Its validity runs from
 * the moment the slot was won, so reply and stored voucher agree.
 */
export function voucherTermsFor(campaign: Campaign, userId: string, code: string, wonAt: Date): VoucherTerms {
  return {
    code,
    userId,
    campaignId: campaign.id,
    discount: campaign.discount,
    description: campaign.description,
    expireDate: new Date(wonAt.getTime() + campaign.voucherValidityDays * MS_PER_DAY),
    voucherType: campaign.voucherType,
  };
}

/** The voucher of a winner whose code is `code`, written `now`. */
export function voucherFor(campaign: Campaign, userId: string, code: string, wonAt: Date, now: Date): Voucher {
  return { ...voucherTermsFor(campaign, userId, code, wonAt), createdAt: now };
}

export function voucherStatus(voucher: Pick<Voucher, 'expireDate'> | null, now: Date): VoucherStatus {
  if (voucher === null) return 'pending';
  return voucher.expireDate <= now ? 'expired' : 'issued';
}
