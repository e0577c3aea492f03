import { createHash } from 'node:crypto';

import type { ToldVoucher } from '../../domain/voucher';
import { currentRequestId } from '../../request-context';

/** Queue names (inside the configured BullMQ prefix). */
export const QUEUE_NAMES = {
  voucherIssue: 'voucher-issue',
  reconcile: 'reconcile',
} as const;

/** The payload of a voucher-issue job: who won which campaign. The winner record holds the rest. */
export interface VoucherIssueJobData {
  campaignId: string;
  userId: string;
  /** The campaign's run the winner was recorded in (absent in jobs queued before runs existed). */
  run?: number;
  /**
   * The voucher the winner was answered with (dates as ISO strings), from the login that won: the job writes
   * it as told for the record it was told from. Absent in jobs queued by reconciliation (and before this
   * existed): the job makes the voucher from the record and the campaign's terms then.
   */
  told?: {
    code: string;
    discount: number;
    description: string;
    voucherType: string;
    expireDate: string;
    wonAt: string;
  };
  /** The request that caused the job (its log lines carry it too). */
  requestId?: string;
}

/**
 * A reconcile job: one campaign; or, without one, every campaign worth reconciling, and with `unfinished`
 * (after Redis lost its data) also every campaign with a winner still waiting for a voucher.
 */
export interface ReconcileJobData {
  campaignId?: string;
  unfinished?: boolean;
  /** The request that asked for it, if one did. */
  requestId?: string;
}

/** A told voucher as job data (JSON: dates as ISO strings). */
export function toldAsJobData({ terms, wonAt }: ToldVoucher): NonNullable<VoucherIssueJobData['told']> {
  const { code, discount, description, voucherType, expireDate } = terms;
  return { code, discount, description, voucherType, expireDate: expireDate.toISOString(), wonAt: wonAt.toISOString() };
}

/**
 * The told voucher a job carries, or undefined when it carries none or one this version cannot read (the job
 * then makes the voucher from the record, as one queued by reconciliation does).
 */
export function toldFromJobData({ campaignId, userId, told }: VoucherIssueJobData): ToldVoucher | undefined {
  if (told === undefined || told === null || typeof told !== 'object') return undefined;
  const { code, discount, description, voucherType } = told;
  const expireDate = new Date(told.expireDate);
  const wonAt = new Date(told.wonAt);
  const valid =
    typeof code === 'string' &&
    typeof discount === 'number' &&
    typeof description === 'string' &&
    typeof voucherType === 'string' &&
    !Number.isNaN(expireDate.getTime()) &&
    !Number.isNaN(wonAt.getTime());
  if (!valid) return undefined;
  return { terms: { code, userId, campaignId, discount, description, voucherType, expireDate }, wonAt };
}

/** The current request's id as job data, so the job's log lines carry it (nothing outside a request). */
export function requestOrigin(): { requestId?: string } {
  const requestId = currentRequestId();
  return requestId === undefined ? {} : { requestId };
}

/** The scheduler that reconciles every campaign periodically. */
export const RECONCILE_SCHEDULER_ID = 'reconcile-all';

/**
 * The job id of a winner's voucher request: derived from (campaign, user, run), so a repeated request is the
 * same job, and a user who wins again after a reset (a rehearsal's winner in the real run) gets a job of
 * their own rather than the finished one BullMQ keeps for a day (BullMQ forbids ':' and all-digit ids). The
 * separator cannot appear in a campaign id. Run 0 keeps the id jobs had before runs existed.
 */
export function voucherJobIdFor(campaignId: string, userId: string, run: number): string {
  const identity = run === 0 ? `${campaignId}|${userId}` : `${campaignId}|${userId}|${run}`;
  return `v-${createHash('sha256').update(identity).digest('hex').slice(0, 32)}`;
}
