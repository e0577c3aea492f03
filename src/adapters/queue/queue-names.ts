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
  /** The campaign's run the winner was recorded in (absent in jobs queued before runs existed). */
  run?: number;
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
 * The job id of a winner's voucher request: derived from (campaign, user, run), so a repeated request is the
 * same job, and a user who wins again after a reset (a rehearsal's winner in the real run) gets a job of
 * their own rather than the finished one BullMQ keeps for a day (BullMQ forbids ':' and all-digit ids). The
 * separator cannot appear in a campaign id. Run 0 keeps the id jobs had before runs existed.
 */
export function voucherJobIdFor(campaignId: string, userId: string, run: number): string {
  const identity = run === 0 ? `${campaignId}|${userId}` : `${campaignId}|${userId}|${run}`;
  return `v-${createHash('sha256').update(identity).digest('hex').slice(0, 32)}`;
}
