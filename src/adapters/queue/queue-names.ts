/** Queue names (inside the configured BullMQ prefix). */
export const QUEUE_NAMES = {
  voucherIssue: 'voucher-issue',
  reconcile: 'reconcile',
} as const;

/** The payload of a voucher-issue job: who won which campaign. The winner record holds the rest. */
export interface VoucherIssueJobData {
  campaignId: string;
  userId: string;
}

/**
 * A reconcile job: one campaign; or, without one, every campaign worth reconciling, and with `unfinished`
 * (after Redis lost its data) also every campaign with a winner still waiting for a voucher.
 */
export interface ReconcileJobData {
  campaignId?: string;
  unfinished?: boolean;
}

/** The scheduler that reconciles every campaign periodically. */
export const RECONCILE_SCHEDULER_ID = 'reconcile-all';
