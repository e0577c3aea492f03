import fc from 'fast-check';

import type { CampaignSettings } from '../../src/domain/campaign';
import { planReconcile, type ReconcileInput, type RepairPlan } from '../../src/domain/reconcile-plan';

/**
 * The reconciliation planner over random histories: whatever the database and a damaged, stale or
 * half-written counter say, applying the plan never yields more winners than the limit, never frees a held
 * or won slot, never hands out above the limit and never replaces newer settings (so never un-pauses).
 */
const GRACE = 30_000;
const start = new Date('2026-01-01T00:00:00Z');
const NOW = start.getTime() + 1_000_000; // the campaign started 1,000 s ago

const settings = (limit: number, paused: boolean, version: number, endsAt: Date | null = null): CampaignSettings => ({
  limit,
  paused,
  version,
  startsAt: start,
  endsAt,
});

const history: fc.Arbitrary<ReconcileInput> = fc
  .record({
    limit: fc.integer({ min: 1, max: 15 }),
    paused: fc.boolean(),
    ended: fc.boolean(),
    version: fc.integer({ min: 0, max: 6 }),
    counterSettings: fc.option(
      fc.record({
        limit: fc.integer({ min: 1, max: 25 }),
        paused: fc.boolean(),
        version: fc.integer({ min: 0, max: 8 }),
      }),
    ),
    counterValue: fc.option(fc.integer({ min: 0, max: 25 })),
    users: fc.integer({ min: 0, max: 25 }),
    winnerSeed: fc.array(fc.integer({ min: 1, max: 15 }), { maxLength: 15 }),
    pendingSeed: fc.array(fc.boolean(), { maxLength: 15 }),
    holderSeed: fc.array(fc.tuple(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 1, max: 25 })), { maxLength: 25 }),
    freeSeed: fc.array(fc.integer({ min: 0, max: 26 }), { maxLength: 10 }),
    vouchered: fc.array(fc.integer({ min: 0, max: 24 }), { maxLength: 25 }),
    ages: fc.array(fc.integer({ min: 0, max: 2 * GRACE }), { maxLength: 30 }),
  })
  .map((h) => {
    // Recorded winners as the database guarantees them: unique users, unique slots in 1..limit.
    const slots = [...new Set(h.winnerSeed.filter((slot) => slot <= h.limit))];
    const winners = slots.map((slot, i) =>
      h.pendingSeed[i] === true ? { userId: `u${i}`, slot, pending: true as const } : { userId: `u${i}`, slot },
    );
    const holders = new Map<string, number>();
    for (const [user, slot] of h.holderSeed) holders.set(`u${user}`, slot);
    const suspects = new Map<string, number>();
    let age = 0;
    for (const [userId, slot] of holders) suspects.set(`claim:${userId}:${slot}`, NOW - (h.ages[age++] ?? 0));
    for (let slot = 1; slot <= 25; slot += 1) suspects.set(`hole:${slot}`, NOW - (h.ages[age++ % 30] ?? 0));
    for (const w of winners) suspects.set(`pending:${w.userId}:${w.slot}`, NOW - (h.ages[age++ % 30] ?? 0));
    const counterSettings =
      h.counterSettings === null
        ? null
        : settings(h.counterSettings.limit, h.counterSettings.paused, h.counterSettings.version);
    return {
      campaign: settings(h.limit, h.paused, h.version, h.ended ? new Date(start.getTime() + 1) : null),
      counter: { settings: counterSettings, value: h.counterValue, holders, free: [...new Set(h.freeSeed)] },
      winners,
      vouchered: new Set(h.vouchered.map((i) => `u${i}`)),
      suspects,
      now: NOW,
      graceMs: GRACE,
    };
  });

/** What the stores hold once the plan is applied (completions assumed to succeed: the worst case). */
function apply(input: ReconcileInput, plan: RepairPlan) {
  const winners = new Map(input.winners.map((w) => [w.userId, w.slot]));
  for (const { userId, slot } of plan.completeClaims) winners.set(userId, slot);
  const held = new Map(input.counter.holders);
  for (const { userId, slot } of plan.restoreHolders) if (!held.has(userId)) held.set(userId, slot);
  for (const { userId, to } of plan.correctHolders) held.set(userId, to);
  for (const { userId } of plan.dropHolders) held.delete(userId);
  // publish-campaign.lua, for a counter whose settings are missing or older than the database's.
  const rolledBack = input.counter.settings === null || input.counter.settings.version < input.campaign.version;
  const before = input.counter.value ?? 0;
  const published = plan.settings.kind === 'publish' && rolledBack ? Math.min(before, plan.settings.floor) : before;
  const counter = Math.max(published, plan.counterTarget);
  const top = Math.min(counter, input.campaign.limit); // what free-slots.lua accepts
  const free = new Set(input.counter.free.filter((slot) => !plan.unfree.includes(slot)));
  for (const slot of plan.free) if (slot >= 1 && slot <= top) free.add(slot);
  return { winners, held, counter, free };
}

test('the histories reach every kind of repair (the properties below are not vacuous)', () => {
  const seen = new Set<string>();
  fc.assert(
    fc.property(history, (input) => {
      const plan = planReconcile(input);
      for (const [kind, items] of Object.entries(plan)) if (Array.isArray(items) && items.length > 0) seen.add(kind);
      if (plan.settings.kind !== 'none') seen.add(plan.settings.kind);
    }),
    { numRuns: 2_000 },
  );
  expect([...seen].sort()).toEqual(
    [
      'completeClaims',
      'correctHolders',
      'counter_ahead',
      'dropHolders',
      'free',
      'publish',
      'redeliver',
      'restoreHolders',
      'settlePending',
      'unfree',
    ].sort(),
  );
});

test('applying the plan never yields more winners than the limit, nor a slot above it', () => {
  fc.assert(
    fc.property(history, (input) => {
      const { winners } = apply(input, planReconcile(input));
      const slots = [...winners.values()];
      expect(slots.length).toBeLessThanOrEqual(input.campaign.limit);
      expect(new Set(slots).size).toBe(slots.length);
      for (const slot of slots) expect(slot).toBeLessThanOrEqual(input.campaign.limit);
    }),
    { numRuns: 2_000 },
  );
});

test('the plan never frees a slot that is held or won, nor one above the limit', () => {
  fc.assert(
    fc.property(history, (input) => {
      const plan = planReconcile(input);
      const after = apply(input, plan);
      const taken = new Set([...after.winners.values(), ...after.held.values()]);
      for (const slot of plan.free) {
        expect(taken.has(slot)).toBe(false);
        expect(slot).toBeLessThanOrEqual(input.campaign.limit);
      }
      for (const slot of after.free) expect(taken.has(slot) || slot > input.campaign.limit).toBe(false);
    }),
    { numRuns: 2_000 },
  );
});

test('the counter is lowered only under lost or rolled-back settings, never below the limit or a winner', () => {
  let lowered = 0;
  fc.assert(
    fc.property(history, (input) => {
      const plan = planReconcile(input);
      const recordedMax = Math.max(0, ...input.winners.map((w) => w.slot));
      expect(plan.counterTarget).toBeLessThanOrEqual(Math.max(input.campaign.limit, recordedMax));
      const before = input.counter.value ?? 0;
      const after = apply(input, plan).counter;
      if (after >= before) return;
      lowered += 1;
      const settings = input.counter.settings;
      expect(settings === null || settings.version < input.campaign.version).toBe(true);
      expect(after).toBe(Math.max(input.campaign.limit, recordedMax));
    }),
    { numRuns: 2_000 },
  );
  expect(lowered).toBeGreaterThan(0);
});

test('never replaces newer settings, so never un-pauses; never records a winner while paused or ended', () => {
  fc.assert(
    fc.property(history, (input) => {
      const plan = planReconcile(input);
      const counter = input.counter.settings;
      if (plan.settings.kind === 'publish' && counter !== null) {
        expect(counter.version).toBeLessThanOrEqual(input.campaign.version);
      }
      if (counter !== null && counter.paused && counter.version > input.campaign.version) {
        expect(plan.settings.kind).not.toBe('publish');
      }
      if (input.campaign.paused) expect(plan.completeClaims).toEqual([]);
      const ended = input.campaign.endsAt !== null && input.campaign.endsAt.getTime() <= input.now;
      if (ended) expect(plan.completeClaims).toEqual([]);
      // The counter holds settings newer than those read: the campaign changed since (a pause, an end, a lower
      // limit the read does not show), so no claim is completed on the read's word.
      if (counter !== null && counter.version > input.campaign.version) expect(plan.completeClaims).toEqual([]);
    }),
    { numRuns: 2_000 },
  );
});

test('after the end, every claim stopped past the grace period is let go (unless the counter is ahead)', () => {
  let letGo = 0;
  fc.assert(
    fc.property(history, (input) => {
      const plan = planReconcile(input);
      const { campaign, counter, now } = input;
      const ended = campaign.endsAt !== null && campaign.endsAt.getTime() <= now;
      const counterAhead = counter.settings !== null && counter.settings.version > campaign.version;
      const republishing = counter.settings === null || counter.settings.version < campaign.version;
      if (!ended || counterAhead || republishing) return;
      const recorded = new Map(input.winners.map((w) => [w.userId, w.slot]));
      const stopped = [...counter.holders].filter(([userId, slot]) => {
        const since = input.suspects.get(`claim:${userId}:${slot}`) ?? now;
        return recorded.get(userId) !== slot && !recorded.has(userId) && now - since >= GRACE;
      });
      expect(plan.dropHolders.sort(byUser)).toEqual(stopped.map(([userId, slot]) => ({ userId, slot })).sort(byUser));
      letGo += stopped.length;
    }),
    { numRuns: 2_000 },
  );
  expect(letGo).toBeGreaterThan(0);
});

const byUser = (a: { userId: string }, b: { userId: string }) => a.userId.localeCompare(b.userId);

test('a pending winner is decided once it persists past the grace period, and until then neither restored nor re-delivered', () => {
  fc.assert(
    fc.property(history, (input) => {
      const plan = planReconcile(input);
      const pending = input.winners.filter((w) => w.pending === true);
      const pastGrace = pending.filter(
        (w) => input.now - input.suspects.get(`pending:${w.userId}:${w.slot}`)! >= GRACE,
      );
      expect(plan.settlePending.sort(byUser)).toEqual(
        pastGrace.map(({ userId, slot }) => ({ userId, slot })).sort(byUser),
      );
      const pendingUsers = new Set(pending.map((w) => w.userId));
      for (const { userId } of plan.restoreHolders) expect(pendingUsers.has(userId)).toBe(false);
      for (const userId of plan.redeliver) expect(pendingUsers.has(userId)).toBe(false);
    }),
    { numRuns: 2_000 },
  );
});

test('every settled winner without a voucher is re-delivered; nobody else is', () => {
  fc.assert(
    fc.property(history, (input) => {
      const expected = input.winners
        .filter((w) => w.pending !== true && !input.vouchered.has(w.userId))
        .map((w) => w.userId);
      expect(planReconcile(input).redeliver.sort()).toEqual(expected.sort());
    }),
    { numRuns: 500 },
  );
});
