import type { Campaign } from '../../src/domain/campaign';

/** A complete campaign for store-level tests, running from `startsAt`; override what matters. */
export function campaignFixture(id: string, changes: Partial<Campaign> = {}): Campaign {
  const startsAt = changes.startsAt ?? new Date('2026-01-01T00:00:00Z');
  return {
    id,
    name: id,
    limit: 10,
    discount: 30,
    voucherType: 'T',
    description: 'd',
    startsAt,
    endsAt: null,
    voucherValidityDays: 30,
    paused: false,
    version: 1,
    run: 0,
    runSince: 0,
    resetting: false,
    createdAt: startsAt,
    updatedAt: startsAt,
    ...changes,
  };
}
