import type { Queue } from 'bullmq';

import { voucherJobIdFor } from '../../domain/voucher';
import type { VoucherQueue } from '../../ports/voucher-queue.port';
import type { VoucherIssueJobData } from './queue-names';
import { voucherJobOptions, type VoucherJobTuning } from './job-options';

/** Voucher requests as BullMQ jobs; the job id is derived from (campaign, user), so a repeat is a no-op. */
export class BullmqVoucherQueue implements VoucherQueue {
  constructor(
    private readonly queue: Queue<VoucherIssueJobData>,
    private readonly tuning: VoucherJobTuning,
  ) {}

  async requestIssue(campaignId: string, userId: string): Promise<void> {
    const jobId = voucherJobIdFor(campaignId, userId);
    await this.queue.add('issue', { campaignId, userId }, { ...voucherJobOptions(this.tuning), jobId });
  }
}
