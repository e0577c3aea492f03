import type { Job, Queue } from 'bullmq';

import type { ToldVoucher } from '../../domain/voucher';
import type { RedeliveryResult, VoucherRedelivery } from '../../ports/voucher-redelivery.port';
import type { VoucherQueue } from '../../ports/voucher-queue.port';
import { voucherJobOptions, type VoucherJobTuning } from './job-options';
import { requestOrigin, toldAsJobData, voucherJobIdFor, type VoucherIssueJobData } from './queue-names';

/** Voucher requests as BullMQ jobs; the job id is derived from (campaign, user), so a repeat is a no-op. */
export class BullmqVoucherQueue implements VoucherQueue, VoucherRedelivery {
  constructor(
    private readonly queue: Queue<VoucherIssueJobData>,
    private readonly tuning: VoucherJobTuning,
  ) {}

  async requestIssue(campaignId: string, userId: string, run: number, told?: ToldVoucher): Promise<void> {
    await this.add(campaignId, userId, run, told);
  }

  async redeliver(
    campaignId: string,
    userId: string,
    run: number,
    delivered: () => Promise<boolean>,
  ): Promise<RedeliveryResult> {
    const job = await this.queue.getJob(voucherJobIdFor(campaignId, userId, run));
    const state = job === undefined ? 'missing' : await job.getState();
    switch (state) {
      case 'failed':
        // With all its tries again: retried as it was, a job that spent them gets one try, and fails for good
        // at its first error (seen when the database was still slow after an outage).
        await job?.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        return 'retried';
      case 'delayed':
        await job?.promote();
        return 'promoted';
      case 'waiting':
      case 'active':
      case 'prioritized':
      case 'waiting-children':
        return 'in_queue';
      case 'completed':
        if (await delivered()) return 'delivered';
        return this.replace(job, campaignId, userId, run); // its voucher is gone (lost with the database)
      default:
        return this.replace(state === 'unknown' ? undefined : job, campaignId, userId, run);
    }
  }

  /** Adding again with the same id would just return a retained job, so it is removed first. */
  private async replace(
    job: Job | undefined,
    campaignId: string,
    userId: string,
    run: number,
  ): Promise<RedeliveryResult> {
    if (job !== undefined) await job.remove();
    await this.add(campaignId, userId, run);
    return 'added';
  }

  private async add(campaignId: string, userId: string, run: number, told?: ToldVoucher): Promise<void> {
    const jobId = voucherJobIdFor(campaignId, userId, run);
    const data: VoucherIssueJobData = {
      campaignId,
      userId,
      run,
      ...(told === undefined ? {} : { told: toldAsJobData(told) }),
      ...requestOrigin(),
    };
    await this.queue.add('issue', data, { ...voucherJobOptions(this.tuning), jobId });
  }
}
