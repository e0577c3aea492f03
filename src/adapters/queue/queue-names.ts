import { createHash } from 'node:crypto';

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

/** The current request's id as job data, so the job's log lines carry it (nothing outside a request). */
export function requestOrigin(): { requestId?: string } {
  const requestId = currentRequestId();
  return requestId === undefined ? {} : { requestId };
}

/** The scheduler that reconciles every campaign periodically. */
export const RECONCILE_SCHEDULER_ID = 'reconcile-all';

/**
 * The job id of a winner's voucher request: derived from (campaign, user), so a repeated request is the same
 * job (BullMQ forbids ':' and all-digit ids). The separator cannot appear in a campaign id.
 */
export function voucherJobIdFor(campaignId: string, userId: string): string {
  return `v-${createHash('sha256').update(`${campaignId}|${userId}`).digest('hex').slice(0, 32)}`;
}
