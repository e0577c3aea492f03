/**
 * A campaign hands out `limit` voucher slots to the first users who log in while it runs.
 * Its id goes into Redis keys inside a hash tag, so it may not contain `{`, `}` or `:`.
 */
export const CAMPAIGN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const CAMPAIGN_DEFAULTS = {
  limit: 100,
  discount: 30,
  voucherType: 'MOBILE_TOPUP_BANK_TRANSFER',
  description: '30% off a mobile top-up paid by bank transfer',
  voucherValidityDays: 30,
} as const;

export interface Campaign {
  id: string;
  name: string;
  /** How many slots (winners) the campaign has. */
  limit: number;
  /** Percent, 0..100. */
  discount: number;
  /** Which payment flow the voucher applies to. */
  voucherType: string;
  description: string;
  startsAt: Date;
  /** Open-ended when null. */
  endsAt: Date | null;
  voucherValidityDays: number;
  /** A paused campaign answers nobody new; winners still see their voucher. */
  paused: boolean;
  /**
   * Grows by one with every change. The settings the counter enforces carry it, and are only ever
   * replaced by a higher version, so no stale copy (a slow reconciliation, an old Redis image) can roll
   * back a newer pause, limit or time window.
   */
  version: number;
  /**
   * Grows by one with every reset. A winner is recorded with the run it was claimed in, and one of an
   * earlier run (its insert landed after the reset had deleted the run's winners) is never a winner of a
   * later run: the claim that wrote it removes it, and reconciliation does if that claim stopped.
   */
  run: number;
  /**
   * The version at which the current run began: a slot the counter handed out under an older version of
   * the settings came from the counter of an earlier run (before the reset zeroed it), and never becomes a
   * winner of this one.
   */
  runSince: number;
  /**
   * A reset is under way (between its first write and its last): no change may land meanwhile, least of all
   * one that opens the campaign while its results are being deleted. A reset that stopped halfway leaves
   * it set; running the reset again finishes it.
   */
  resetting: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** What the slot counter enforces on every claim: the campaign's settings at one version. */
export interface CampaignSettings {
  limit: number;
  paused: boolean;
  version: number;
  startsAt: Date;
  endsAt: Date | null;
}

export function settingsOf(campaign: Campaign): CampaignSettings {
  const { limit, paused, version, startsAt, endsAt } = campaign;
  return { limit, paused, version, startsAt, endsAt };
}

/** True when two settings say the same thing (whatever their versions). */
export function sameSettings(a: CampaignSettings, b: CampaignSettings): boolean {
  return (
    a.limit === b.limit &&
    a.paused === b.paused &&
    a.startsAt.getTime() === b.startsAt.getTime() &&
    (a.endsAt?.getTime() ?? null) === (b.endsAt?.getTime() ?? null)
  );
}

export function isRunningAt(campaign: Pick<Campaign, 'startsAt' | 'endsAt'>, now: Date): boolean {
  if (now < campaign.startsAt) return false;
  return campaign.endsAt === null || now < campaign.endsAt;
}

/** Rules a campaign must satisfy whatever edge it came from; returns the broken ones. */
export function campaignProblems(campaign: Campaign): string[] {
  const problems: string[] = [];
  if (!CAMPAIGN_ID_PATTERN.test(campaign.id)) problems.push('id: letters, digits, ".", "_" or "-", at most 64');
  if (!Number.isInteger(campaign.limit) || campaign.limit < 1) problems.push('limit: a whole number of at least 1');
  if (!Number.isInteger(campaign.discount) || campaign.discount < 0 || campaign.discount > 100) {
    problems.push('discount: a whole percent from 0 to 100');
  }
  if (!Number.isInteger(campaign.voucherValidityDays) || campaign.voucherValidityDays < 1) {
    problems.push('voucherValidityDays: a whole number of at least 1');
  }
  if (campaign.endsAt !== null && campaign.endsAt <= campaign.startsAt) problems.push('endsAt: must be after startsAt');
  return problems;
}
