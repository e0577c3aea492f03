import type { Job } from 'bullmq';

import { CAPPED_EXPONENTIAL, cappedExponentialBackoff, voucherJobOptions } from '../../src/adapters/queue/job-options';
import { loadConfig } from '../../src/config';

const jobWith = (delay: number) => ({ opts: voucherJobOptions({ attempts: 25, backoffMs: delay }) }) as unknown as Job;

test('the delay doubles from the first, up to the cap', () => {
  const strategy = cappedExponentialBackoff(5_000);
  const delays = [1, 2, 3, 4, 5, 6, 24].map((attemptsMade) =>
    strategy(attemptsMade, CAPPED_EXPONENTIAL, new Error('down'), jobWith(1_000)),
  );
  expect(delays).toEqual([1_000, 2_000, 4_000, 5_000, 5_000, 5_000, 5_000]);
});

test('the default settings keep a job trying for about two minutes, at most 5 s apart', () => {
  const { attempts, backoffMs, backoffMaxMs } = loadConfig({}).queue;
  const strategy = cappedExponentialBackoff(backoffMaxMs);
  const delays = Array.from({ length: attempts - 1 }, (_, i) =>
    strategy(i + 1, CAPPED_EXPONENTIAL, new Error('down'), jobWith(backoffMs)),
  ) as number[];
  expect(Math.max(...delays)).toBe(5_000);
  expect(delays.reduce((sum, delay) => sum + delay, 0)).toBe(1_000 + 2_000 + 4_000 + 21 * 5_000);
});

test('another backoff type is not this strategy’s', () => {
  expect(() => cappedExponentialBackoff(5_000)(1, 'linear', new Error('down'), jobWith(1_000))).toThrow(
    /unknown backoff strategy linear/,
  );
});
