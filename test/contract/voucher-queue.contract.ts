import type { VoucherQueue } from '../../src/ports/voucher-queue.port';
import type { VoucherRedelivery } from '../../src/ports/voucher-redelivery.port';

export interface VoucherQueueSubject {
  queue: VoucherQueue & VoucherRedelivery;
  /** Plays the worker: takes every waiting request and finishes it. Returns them as `campaign/user`. */
  work(): Promise<string[]>;
  /** The requests waiting to be taken, as `campaign/user`, sorted. */
  waiting(): Promise<string[]>;
  close(): Promise<void>;
}

/** What every voucher queue must do; run against the recording fake and the BullMQ adapter alike. */
export function voucherQueueContract(name: string, subject: () => VoucherQueueSubject): void {
  describe(`VoucherQueue and VoucherRedelivery contract: ${name}`, () => {
    let s: VoucherQueueSubject;
    let n = 0;
    let id: string;
    beforeEach(() => {
      s = subject();
      id = `c${++n}-${Date.now()}`;
    });
    afterEach(async () => {
      await s.close();
    });
    const never = async () => {
      throw new Error('asked about the voucher of a job that has not finished');
    };

    test('a repeated request for the same winner is kept once', async () => {
      await s.queue.requestIssue(id, 'a', 0);
      await s.queue.requestIssue(id, 'a', 0);
      await s.queue.requestIssue(id, 'b', 0);
      expect(await s.waiting()).toEqual([`${id}/a`, `${id}/b`]);
    });

    test('a winner of a later run gets a request of its own; the earlier run’s finished one is not it', async () => {
      await s.queue.requestIssue(id, 'a', 0);
      expect(await s.work()).toEqual([`${id}/a`]);
      await s.queue.requestIssue(id, 'a', 0);
      expect(await s.waiting()).toEqual([]); // the same run's finished request is kept once
      await s.queue.requestIssue(id, 'a', 1);
      await s.queue.requestIssue(id, 'a', 1);
      expect(await s.waiting()).toEqual([`${id}/a`]);
      expect(await s.work()).toEqual([`${id}/a`]);
      expect(await s.queue.redeliver(id, 'a', 2, never)).toBe('added');
      expect(await s.waiting()).toEqual([`${id}/a`]);
    });

    test('redelivery adds a request that was never made, and leaves a waiting one alone', async () => {
      expect(await s.queue.redeliver(id, 'a', 0, never)).toBe('added');
      expect(await s.queue.redeliver(id, 'a', 0, never)).toBe('in_queue');
      expect(await s.waiting()).toEqual([`${id}/a`]);
    });

    test('a finished request whose voucher is there is not run again', async () => {
      await s.queue.requestIssue(id, 'a', 0);
      expect(await s.work()).toEqual([`${id}/a`]);
      let asked = 0;
      const there = async () => {
        asked += 1;
        return true;
      };
      expect(await s.queue.redeliver(id, 'a', 0, there)).toBe('delivered');
      expect(asked).toBe(1);
      expect(await s.waiting()).toEqual([]);
    });

    test('a finished request whose voucher was lost is made again, and runs again', async () => {
      await s.queue.requestIssue(id, 'a', 0);
      await s.work();
      expect(await s.queue.redeliver(id, 'a', 0, async () => false)).toBe('added');
      expect(await s.waiting()).toEqual([`${id}/a`]);
      expect(await s.work()).toEqual([`${id}/a`]);
    });
  });
}
