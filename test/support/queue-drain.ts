import { Queue } from 'bullmq';
import type { RedisClient } from '../../src/adapters/redis/scripts';

import { QUEUE_NAMES } from '../../src/adapters/queue/queue-names';

/** Waits until the voucher queue has nothing waiting, delayed, prioritized or active. */
export async function waitForVoucherQueueDrain(
  connection: RedisClient,
  prefix: string,
  timeoutMs: number,
): Promise<void> {
  const queue = new Queue(QUEUE_NAMES.voucherIssue, { connection, prefix });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
      if (Object.values(counts).every((n) => n === 0)) return;
      if (Date.now() > deadline) throw new Error(`queue not drained: ${JSON.stringify(counts)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await queue.close();
  }
}
