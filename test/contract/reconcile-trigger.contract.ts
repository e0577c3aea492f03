import type { ReconcileTrigger } from '../../src/ports/reconcile-trigger.port';

/** The reconciliations one round of the reconcile worker took, running until `finish`. */
export interface TakenReconciliations {
  /** The campaigns they are for, sorted. */
  campaigns: string[];
  finish(): Promise<void>;
}

export interface ReconcileTriggerSubject {
  trigger: ReconcileTrigger;
  /** Plays the reconcile worker: starts every reconciliation waiting to run. */
  take(): Promise<TakenReconciliations>;
  close(): Promise<void>;
}

/** What every reconcile trigger must do; run against the recording fake and the BullMQ adapter alike. */
export function reconcileTriggerContract(name: string, subject: () => ReconcileTriggerSubject): void {
  describe(`ReconcileTrigger contract: ${name}`, () => {
    let s: ReconcileTriggerSubject;
    let n = 0;
    let id: string;
    beforeEach(() => {
      s = subject();
      id = `t${++n}-${Date.now()}`;
    });
    afterEach(async () => {
      await s.close();
    });

    test('many requests for one campaign make one reconciliation; each campaign gets its own', async () => {
      await Promise.all(Array.from({ length: 5 }, () => s.trigger.requestReconcile(`${id}-a`)));
      await s.trigger.requestReconcile(`${id}-a`);
      await s.trigger.requestReconcile(`${id}-b`);
      const taken = await s.take();
      expect(taken.campaigns).toEqual([`${id}-a`, `${id}-b`]);
      await taken.finish();
      expect((await s.take()).campaigns).toEqual([]);
    });

    test('a request after the reconciliation ran makes a new one', async () => {
      await s.trigger.requestReconcile(id);
      const first = await s.take();
      expect(first.campaigns).toEqual([id]);
      await first.finish();
      await s.trigger.requestReconcile(id);
      expect((await s.take()).campaigns).toEqual([id]);
    });

    test('requests while a reconciliation runs make exactly one more, after it, never one beside it', async () => {
      await s.trigger.requestReconcile(id);
      const running = await s.take();
      expect(running.campaigns).toEqual([id]);
      for (let i = 0; i < 3; i++) await s.trigger.requestReconcile(id);
      expect((await s.take()).campaigns).toEqual([]); // not while the first one runs
      await running.finish();
      const next = await s.take();
      expect(next.campaigns).toEqual([id]);
      await next.finish();
      expect((await s.take()).campaigns).toEqual([]);
    });
  });
}
