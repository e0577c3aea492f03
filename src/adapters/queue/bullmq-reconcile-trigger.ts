import type { Queue } from 'bullmq';

import type { ReconcileTrigger } from '../../ports/reconcile-trigger.port';
import { requestOrigin, type ReconcileJobData } from './queue-names';

/**
 * On-demand reconciliation as a BullMQ job with a deduplication id per campaign (not a fixed job id, which
 * would stay retained and swallow later requests): requests while one waits are merged, and one arriving
 * while it runs leaves exactly one more to run after it.
 */
export class BullmqReconcileTrigger implements ReconcileTrigger {
  constructor(private readonly queue: Queue<ReconcileJobData>) {}

  async requestReconcile(campaignId: string): Promise<void> {
    await this.queue.add(
      'reconcile',
      { campaignId, ...requestOrigin() },
      {
        deduplication: { id: `reconcile-${campaignId}`, keepLastIfActive: true },
        attempts: 3,
        backoff: { type: 'exponential', delay: 1_000 },
        removeOnComplete: { count: 1_000 },
        removeOnFail: { count: 1_000 },
      },
    );
  }
}
