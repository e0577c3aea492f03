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

/** A reconcile job: one campaign, or every campaign worth reconciling when absent. */
export interface ReconcileJobData {
  campaignId?: string;
}

/** The scheduler that reconciles every campaign periodically. */
export const RECONCILE_SCHEDULER_ID = 'reconcile-all';
