import { createHash } from 'node:crypto';

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
