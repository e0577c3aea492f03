/**
 * The codes a login's claims can end with, a part of the ErrorCode catalogue (src/errors.ts holds their
 * messages, and checks that each is in it).
 */
export type OutcomeCode =
  | 'SERVICE_UNAVAILABLE'
  | 'CAMPAIGN_FULL'
  | 'CAMPAIGN_PAUSED'
  | 'CAMPAIGN_NOT_ACTIVE'
  | 'NO_ACTIVE_CAMPAIGN'
  | 'INTERNAL_ERROR';

export type CampaignOutcome = 'won' | 'already_won' | 'full' | 'paused' | 'not_active' | 'unavailable';

export interface VoucherView {
  code: string;
  discount: number;
  voucherType: string;
  description: string;
  expireDate: Date;
}

export interface CampaignResult {
  campaignId: string;
  outcome: CampaignOutcome;
  slot?: number;
  voucher?: VoucherView;
  /** Why a non-winning outcome happened, from the ErrorCode catalogue. */
  errorCode?: OutcomeCode;
}

export interface LoginSummary {
  /** True when the user holds a winning slot in at least one campaign. */
  status: boolean;
  errorCode: OutcomeCode | null;
  /** True when the only reason for failing is that some claim could not be decided. */
  undecided: boolean;
}

// When the user won nowhere, the reply names the most telling reason.
const PRIORITY: readonly OutcomeCode[] = [
  'SERVICE_UNAVAILABLE',
  'CAMPAIGN_FULL',
  'CAMPAIGN_PAUSED',
  'CAMPAIGN_NOT_ACTIVE',
];

export function isWinning(outcome: CampaignOutcome): boolean {
  return outcome === 'won' || outcome === 'already_won';
}

export function summarizeLogin(results: readonly CampaignResult[]): LoginSummary {
  if (results.some((r) => isWinning(r.outcome))) return { status: true, errorCode: null, undecided: false };
  if (results.length === 0) return { status: false, errorCode: 'NO_ACTIVE_CAMPAIGN', undecided: false };
  const codes = new Set(results.map((r) => r.errorCode));
  const errorCode = PRIORITY.find((code) => codes.has(code)) ?? 'INTERNAL_ERROR';
  return { status: false, errorCode, undecided: errorCode === 'SERVICE_UNAVAILABLE' };
}
