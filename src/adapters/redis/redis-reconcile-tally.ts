import type { ReconcileReport } from '../../application/reconcile-campaign.use-case';
import type { RedisClient } from './scripts';

/** What reconciliation counts, summed over every run of every worker. */
export const TALLY_FIELDS = [
  'settingsRestored',
  'counterRaised',
  'holdersRestored',
  'holdersCorrected',
  'claimsCompleted',
  'slotsFreed',
  'freeListCleaned',
  'vouchersRequeued',
] as const;
export type TallyField = (typeof TALLY_FIELDS)[number];

/**
 * Running totals of the drift reconciliation fixed, kept in Redis so every worker adds to them and the
 * API's /metrics reads one figure (a Redis that loses them restarts them at 0, as any counter may).
 */
export class RedisReconcileTally {
  private readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    keyPrefix: string,
  ) {
    this.key = `${keyPrefix}:reconcile-tally`;
  }

  async add(report: ReconcileReport): Promise<void> {
    const amounts: Record<TallyField, number> = {
      settingsRestored: report.settingsRestored ? 1 : 0,
      counterRaised: report.counterAfter !== report.counterBefore ? 1 : 0,
      holdersRestored: report.holdersRestored,
      holdersCorrected: report.holdersCorrected,
      claimsCompleted: report.claimsCompleted,
      slotsFreed: report.slotsFreed,
      freeListCleaned: report.freeListCleaned,
      vouchersRequeued: report.vouchersRequeued,
    };
    const nonZero = Object.entries(amounts).filter(([, amount]) => amount > 0);
    if (nonZero.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const [field, amount] of nonZero) pipeline.hincrby(this.key, field, amount);
    await pipeline.exec();
  }

  async totals(): Promise<Record<TallyField, number>> {
    const stored = await this.redis.hgetall(this.key);
    return Object.fromEntries(TALLY_FIELDS.map((field) => [field, Number(stored[field] ?? 0)])) as Record<
      TallyField,
      number
    >;
  }
}
