/** Queue names (inside the configured BullMQ prefix). */
export const QUEUE_NAMES = {
  voucherIssue: 'voucher-issue',
} as const;

/** The payload of a voucher-issue job: who won which campaign. The winner record holds the rest. */
export interface VoucherIssueJobData {
  campaignId: string;
  userId: string;
}
