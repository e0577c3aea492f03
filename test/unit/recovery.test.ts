import { settingsOf } from '../../src/domain/campaign';
import { COUNTER_AHEAD_PATIENCE_MS, REDELIVERY_CONCURRENCY } from '../../src/application/reconcile-campaign.use-case';
import { unitWorld, type UnitWorld } from '../support/fakes/unit-world';

/**
 * What happens when the counter and the database disagree, and how reconciliation repairs it. The
 * scenarios are the seed's weak spots: Redis losing or rolling back data, claims stopped halfway.
 */
let w: UnitWorld;
const users: Record<string, string> = {};

beforeEach(async () => {
  w = unitWorld();
  for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) users[name] = await w.addUser(name);
});

const login = (account: string) =>
  w.login.execute({
    credentials: { kind: 'password', account, password: 'pw' },
    campaignId: 'c',
    clientIp: '203.0.113.7',
  });
const outcome = async (account: string) => (await login(account)).campaigns[0];
const winnerSlots = () => w.winners.winners.map((x) => x.slot).sort((x, y) => x - y);
const GRACE = 30_000;

async function campaign(limit: number): Promise<void> {
  await w.saveCampaign.execute('c', { limit, startsAt: w.clock.now() });
}

/** Redis restarted from an older append-only file: the counter and slot map as they were `slots` claims ago. */
function rollBack(to: number): void {
  const state = w.slots.campaigns.get('c');
  if (!state) throw new Error('no state');
  state.counter = to;
  for (const [user, slot] of state.slots) if (slot > to) state.slots.delete(user);
}

describe('claims against a counter that went backwards', () => {
  test('taken slots are skipped: the campaign still ends with exactly `limit` winners', async () => {
    await campaign(5);
    for (const name of ['a', 'b', 'c']) await login(name); // slots 1..3
    rollBack(1); // the counter forgot slots 2 and 3 and who holds them
    expect(await outcome('d')).toMatchObject({ outcome: 'won', slot: 4 }); // 2 and 3 are taken: moved forward
    expect(await outcome('e')).toMatchObject({ outcome: 'won', slot: 5 });
    expect(await outcome('f')).toMatchObject({ outcome: 'full' });
    expect(winnerSlots()).toEqual([1, 2, 3, 4, 5]);
  });

  test('a winner the counter forgot keeps the recorded slot; the fresh slot it was handed is freed later', async () => {
    await campaign(3);
    await login('a');
    await login('b'); // slots 1 and 2
    w.slots.campaigns.get('c')?.slots.delete(users.b as string); // Redis lost b's entry, not the counter
    expect(await outcome('b')).toMatchObject({ outcome: 'already_won', slot: 2 }); // handed 3; the record says 2
    expect(w.slots.campaigns.get('c')?.slots.get(users.b as string)).toBe(2);
    expect(await outcome('c')).toMatchObject({ outcome: 'full' }); // slot 3 is burned for now

    await w.reconcile.execute('c');
    w.advance(GRACE);
    expect(await w.reconcile.execute('c')).toMatchObject({ slotsFreed: 1 });
    expect(await outcome('c')).toMatchObject({ outcome: 'won', slot: 3 });
    expect(winnerSlots()).toEqual([1, 2, 3]);
  });

  test('a counter far behind the winners gives up after bounded tries and asks for reconciliation', async () => {
    await campaign(8);
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) await login(name);
    rollBack(0);
    expect(await outcome('g')).toMatchObject({ outcome: 'unavailable' });
    expect(w.reconcileTrigger.requested).toContain('c');
    await w.reconcile.execute('c');
    expect(await outcome('g')).toMatchObject({ outcome: 'won', slot: 7 });
  });

  test('when no slot is left after a taken one, the answer is full', async () => {
    await campaign(2);
    await login('a');
    await login('b');
    rollBack(1);
    expect(await outcome('c')).toMatchObject({ outcome: 'full' });
    expect(winnerSlots()).toEqual([1, 2]);
  });

  test('a winner recorded above a limit lowered between its read and its insert is removed and told full', async () => {
    await campaign(5);
    expect(await outcome('a')).toMatchObject({ outcome: 'won', slot: 1 });
    // The limit goes down to 1 while b's claim (slot 2) is between its fresh read and its insert, as it can
    // after a Redis reset forgot the slots held by claims in flight (the change's own check then passes).
    const stored = (await w.campaigns.findById('c'))!;
    const record = w.winners.record.bind(w.winners);
    jest.spyOn(w.winners, 'record').mockImplementationOnce(async (winner) => {
      await w.campaigns.save({ ...stored, limit: 1, version: stored.version + 1 }, stored.version);
      return record(winner);
    });
    expect(await outcome('b')).toMatchObject({ outcome: 'full', errorCode: 'CAMPAIGN_FULL' });
    expect(winnerSlots()).toEqual([1]);
    expect(w.slots.campaigns.get('c')?.slots.has(users.b!)).toBe(false); // the slot given up
  });

  /** b's claim (slot 2) inserts its record while the limit goes down to 1, then waits before its own check. */
  async function claimPausedAfterInsert(): Promise<{ first: Promise<unknown>; checkNow: () => void }> {
    await campaign(5);
    expect(await outcome('a')).toMatchObject({ outcome: 'won', slot: 1 });
    const stored = (await w.campaigns.findById('c'))!;
    const record = w.winners.record.bind(w.winners);
    let inserted!: () => void;
    const hasInserted = new Promise<void>((resolve) => (inserted = resolve));
    let checkNow!: () => void;
    const mayCheck = new Promise<void>((resolve) => (checkNow = resolve));
    jest.spyOn(w.winners, 'record').mockImplementationOnce(async (winner) => {
      await w.campaigns.save({ ...stored, limit: 1, version: stored.version + 1 }, stored.version);
      const recorded = await record(winner);
      inserted();
      await mayCheck;
      return recorded;
    });
    const first = outcome('b');
    await hasInserted;
    return { first, checkNow };
  }

  test('another login of the same user finding the record still pending decides it first: never already_won for a record then removed', async () => {
    const { first, checkNow } = await claimPausedAfterInsert();
    expect(w.winners.winners.find((x) => x.userId === users.b)).toMatchObject({ slot: 2, pending: true });
    // b logs in again while the first claim has not checked yet: this login decides the record (above the limit).
    expect(await outcome('b')).toMatchObject({ outcome: 'full', errorCode: 'CAMPAIGN_FULL' });
    checkNow();
    expect(await first).toMatchObject({ outcome: 'unavailable' }); // removed by the other login: try again
    expect(winnerSlots()).toEqual([1]);
    // A fresh claim: the counter (its settings not republished by this test) hands slot 2 out again, and the
    // database's limit refuses it.
    expect(await outcome('b')).toMatchObject({ outcome: 'unavailable' });
    expect(winnerSlots()).toEqual([1]);
  });

  test("a claim's late check of a record removed meanwhile is not fooled by the user's newer record", async () => {
    const { first, checkNow } = await claimPausedAfterInsert();
    const stale = w.winners.winners.find((x) => x.userId === users.b)!;
    // The limit change removes b's pending slot 2 and lets its entry go; the limit goes back up; b wins again.
    expect(await w.winners.removePending(stale)).toBe(true);
    await w.slots.moveSlot('c', users.b!, 2, null);
    const lowered = (await w.campaigns.findById('c'))!;
    await w.campaigns.save({ ...lowered, limit: 5, version: lowered.version + 1 }, lowered.version);
    w.advance(1);
    expect(await outcome('b')).toMatchObject({ outcome: 'won', slot: 3 });
    checkNow();
    expect(await first).toMatchObject({ outcome: 'unavailable' }); // never "won" for slot 2, someone else's now
    expect(w.winners.winners.filter((x) => x.userId === users.b)).toEqual([expect.objectContaining({ slot: 3 })]);
  });

  test('a claim whose check after the insert failed leaves the record pending; the next login decides it', async () => {
    await campaign(5);
    expect(await outcome('a')).toMatchObject({ outcome: 'won', slot: 1 });
    const stored = (await w.campaigns.findById('c'))!;
    const record = w.winners.record.bind(w.winners);
    const findById = w.campaigns.findById.bind(w.campaigns);
    jest.spyOn(w.winners, 'record').mockImplementationOnce(async (winner) => {
      await w.campaigns.save({ ...stored, limit: 1, version: stored.version + 1 }, stored.version);
      const recorded = await record(winner);
      // The check's read of the campaign times out (the claim's first read is already done).
      jest.spyOn(w.campaigns, 'findById').mockRejectedValueOnce(new Error('database timeout'));
      return recorded;
    });
    w.claimer.close(); // no follow-up: the user's own next login finds the record
    expect(await outcome('b')).toMatchObject({ outcome: 'unavailable' });
    expect(w.winners.winners.find((x) => x.userId === users.b)).toMatchObject({ slot: 2, pending: true });
    jest.spyOn(w.campaigns, 'findById').mockImplementation(findById);
    expect(await outcome('b')).toMatchObject({ outcome: 'full', errorCode: 'CAMPAIGN_FULL' });
    expect(winnerSlots()).toEqual([1]);
    expect(w.winners.winners.every((x) => x.pending === undefined)).toBe(true);
  });

  test('a winner within the limit is settled by its own claim; logging in again answers already_won', async () => {
    await campaign(5);
    expect(await outcome('a')).toMatchObject({ outcome: 'won', slot: 1 });
    expect(w.winners.winners).toEqual([expect.not.objectContaining({ pending: true })]);
    expect(await outcome('a')).toMatchObject({ outcome: 'already_won', slot: 1 });
  });
});

describe('reconciliation', () => {
  test('after Redis lost everything, claims stay closed until it runs; then they continue from the right slot', async () => {
    await campaign(5);
    await login('a');
    await login('b');
    w.slots.forget('c');
    expect(await outcome('c')).toMatchObject({ outcome: 'unavailable' });
    expect(w.reconcileTrigger.requested).toEqual(['c']);

    const report = await w.reconcile.execute('c');
    expect(report).toMatchObject({ settingsRestored: true, counterBefore: null, counterAfter: 2, holdersRestored: 2 });
    expect(await outcome('a')).toMatchObject({ outcome: 'already_won', slot: 1 });
    expect(await outcome('c')).toMatchObject({ outcome: 'won', slot: 3 });
  });

  test('after Redis lost everything, a slot nobody recorded is freed by the first pass, not a grace period later', async () => {
    await stoppedClaim(); // a won slot 1; b's slot 2 never recorded
    expect(await outcome('c')).toMatchObject({ outcome: 'won', slot: 3 });
    w.slots.forget('c');
    expect(await w.reconcile.execute('c')).toMatchObject({ settingsRestored: true, counterAfter: 3, slotsFreed: 1 });
    expect(await outcome('d')).toMatchObject({ outcome: 'won', slot: 2 });
    expect(await outcome('e')).toMatchObject({ outcome: 'won', slot: 4 });
  });

  test('--dry-run reports the drift and changes nothing; the real run fixes it; a second run finds none', async () => {
    await campaign(5);
    await login('a');
    w.slots.forget('c');
    const dry = await w.reconcile.execute('c', { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, settingsRestored: true, counterAfter: 1, holdersRestored: 1 });
    expect(await w.slots.readCounter('c')).toBeNull();

    await w.reconcile.execute('c');
    expect(await w.slots.readCounter('c')).toBe(1);
    const again = await w.reconcile.execute('c');
    expect(again).toMatchObject({
      settingsRestored: false,
      counterBefore: 1,
      counterAfter: 1,
      holdersRestored: 0,
      slotsFreed: 0,
    });
  });

  test('never lowers the counter', async () => {
    await campaign(5);
    await login('a');
    await w.slots.raiseCounter('c', 4); // slots 2..4 handed out, none recorded
    const report = await w.reconcile.execute('c');
    expect(report).toMatchObject({ counterBefore: 4, counterAfter: 4 });
  });

  test('a claim that stopped between Redis and MongoDB is completed once it persists past the grace period', async () => {
    await campaign(5);
    w.claimer.close(); // reconciliation completes it here, not the API's follow-up (an API that stopped)
    jest.spyOn(w.winners, 'record').mockRejectedValueOnce(new Error('database timeout'));
    expect(await outcome('a')).toMatchObject({ outcome: 'unavailable' }); // Redis gave slot 1; MongoDB never heard
    w.voucherQueue.drain();

    expect(await w.reconcile.execute('c')).toMatchObject({ claimsCompleted: 0, waiting: 1 }); // could be in flight
    w.advance(GRACE);
    // The pass's check of the campaign before the completion takes a second: the winner is recorded as of
    // before it, as a live claim's is as of before its own read.
    const before = w.clock.now();
    const inspect = w.slots.inspect.bind(w.slots);
    jest.spyOn(w.slots, 'inspect').mockImplementationOnce(async (id) => {
      w.advance(1_000);
      return inspect(id);
    });
    expect(await w.reconcile.execute('c')).toMatchObject({ claimsCompleted: 1, vouchersRequeued: 1, waiting: 0 });
    expect(w.winners.winners).toEqual([expect.objectContaining({ userId: users.a, slot: 1, createdAt: before })]);
    expect(await outcome('a')).toMatchObject({ outcome: 'already_won', slot: 1 });
  });

  /** a won slot 1; b's claim got slot 2 from the counter and stopped before the database heard of it. */
  async function stoppedClaim(): Promise<void> {
    await campaign(5);
    await login('a');
    w.claimer.close(); // reconciliation completes it here, not the API's follow-up (an API that stopped)
    jest.spyOn(w.winners, 'record').mockRejectedValueOnce(new Error('database timeout'));
    expect(await outcome('b')).toMatchObject({ outcome: 'unavailable' }); // slot 2 held, never recorded
  }

  /** b's claim records slot 2 pending and stops before its check (its read fails); `lowerTo` lands before the insert. */
  async function stoppedPending(lowerTo: number | null): Promise<void> {
    await campaign(5);
    await login('a');
    w.claimer.close(); // no follow-up: what is left is reconciliation's
    const stored = (await w.campaigns.findById('c'))!;
    const record = w.winners.record.bind(w.winners);
    jest.spyOn(w.winners, 'record').mockImplementationOnce(async (winner) => {
      if (lowerTo !== null)
        await w.campaigns.save({ ...stored, limit: lowerTo, version: stored.version + 1 }, stored.version);
      const recorded = await record(winner);
      jest.spyOn(w.campaigns, 'findById').mockRejectedValueOnce(new Error('database timeout'));
      return recorded;
    });
    expect(await outcome('b')).toMatchObject({ outcome: 'unavailable' });
    expect(w.winners.winners.find((x) => x.userId === users.b)).toMatchObject({ slot: 2, pending: true });
    w.voucherQueue.drain();
  }

  test('a pending winner its claim left above a lowered limit is removed once it persists past the grace period', async () => {
    await stoppedPending(1);
    expect(await w.reconcile.execute('c')).toMatchObject({ pendingSettled: 0, pendingRemoved: 0, waiting: 1 });
    w.advance(GRACE);
    expect(await w.reconcile.execute('c')).toMatchObject({ pendingSettled: 0, pendingRemoved: 1 });
    expect(winnerSlots()).toEqual([1]);
    expect(w.slots.campaigns.get('c')?.slots.has(users.b!)).toBe(false);
    expect([...w.voucherQueue.requests].filter((job) => job.includes(users.b!))).toEqual([]);
  });

  test('a pending winner its claim left within the limit is settled past the grace period and gets its voucher', async () => {
    await stoppedPending(null);
    expect(await w.reconcile.execute('c')).toMatchObject({ pendingSettled: 0, waiting: 1 });
    expect([...w.voucherQueue.requests].filter((job) => job.includes(users.b!))).toEqual([]); // not before it is settled
    w.advance(GRACE);
    expect(await w.reconcile.execute('c')).toMatchObject({ pendingSettled: 1, pendingRemoved: 0 });
    expect([...w.voucherQueue.requests].filter((job) => job.includes(users.b!))).toHaveLength(1);
    expect(w.winners.winners.find((x) => x.userId === users.b)).toEqual(expect.not.objectContaining({ pending: true }));
    expect(await outcome('b')).toMatchObject({ outcome: 'already_won', slot: 2 });
  });

  test('a stopped claim completed while the limit is lowered under it (Redis lost its slot) is removed, not left above it', async () => {
    await stoppedClaim();
    await w.reconcile.execute('c');
    w.advance(GRACE);
    // The pass checks the campaign, then stalls; the limit goes down to 1 before its insert lands.
    const stored = (await w.campaigns.findById('c'))!;
    const record = w.winners.record.bind(w.winners);
    jest.spyOn(w.winners, 'record').mockImplementationOnce(async (winner) => {
      await w.campaigns.save({ ...stored, limit: 1, version: stored.version + 1 }, stored.version);
      return record(winner);
    });
    expect(await w.reconcile.execute('c')).toMatchObject({ claimsCompleted: 0 });
    expect(winnerSlots()).toEqual([1]);
    expect(w.slots.campaigns.get('c')?.slots.has(users.b!)).toBe(false);
  });

  test("a counter left holding the database's settings at a newer version is aligned; stopped claims complete again", async () => {
    await stoppedClaim();
    // A save refused by the database put the database's settings back in the counter, two versions on.
    const stored = (await w.campaigns.findById('c'))!;
    await w.slots.publish('c', { ...settingsOf(stored), version: stored.version + 2 }, false, { strict: true });

    expect(await w.reconcile.execute('c')).toMatchObject({ settingsAligned: false, claimsCompleted: 0 });
    w.advance(GRACE);
    expect(await w.reconcile.execute('c')).toMatchObject({ settingsAligned: true, claimsCompleted: 0 });
    expect(await w.campaigns.findById('c')).toMatchObject({ version: stored.version + 2, limit: 5 });
    expect(await w.reconcile.execute('c')).toMatchObject({ settingsAligned: false, claimsCompleted: 1 });
    expect(winnerSlots()).toEqual([1, 2]);
  });

  test("a completed claim's login counts as a participation, whichever step its claim stopped at", async () => {
    await campaign(5);
    w.claimer.close();
    // Stopped before its login was written: Redis gave slot 1, the database heard nothing of it.
    jest.spyOn(w.participations, 'record').mockRejectedValueOnce(new Error('database timeout'));
    expect(await outcome('a')).toMatchObject({ outcome: 'unavailable' });
    expect(await w.participations.count('c')).toBe(0);

    expect(await w.reconcile.execute('c')).toMatchObject({ claimsCompleted: 0, waiting: 1 });
    w.advance(GRACE);
    expect(await w.reconcile.execute('c')).toMatchObject({ claimsCompleted: 1 });
    expect(await w.participations.count('c')).toBe(1);
  });

  test.each([
    ['paused', () => w.saveCampaign.execute('c', { paused: true })],
    ['ended', () => w.saveCampaign.execute('c', { endsAt: w.clock.now() })],
    [
      'paused (published to the counter, not stored yet)',
      async () => {
        const stored = (await w.campaigns.findById('c'))!;
        await w.slots.publish('c', { ...settingsOf(stored), paused: true, version: stored.version + 1 }, false);
      },
    ],
  ])('a stopped claim is not completed when the campaign was %s after the pass read it', async (_, change) => {
    await campaign(5);
    w.claimer.close();
    jest.spyOn(w.winners, 'record').mockRejectedValueOnce(new Error('database timeout'));
    expect(await outcome('a')).toMatchObject({ outcome: 'unavailable' });
    w.voucherQueue.drain();
    await w.reconcile.execute('c'); // the claim seen for the first time
    w.advance(GRACE);
    // The operator's change lands while the pass works: after its reads, before its completions.
    const restoreHolders = w.slots.restoreHolders.bind(w.slots);
    jest.spyOn(w.slots, 'restoreHolders').mockImplementationOnce(async (...args) => {
      await change();
      return restoreHolders(...args);
    });
    expect(await w.reconcile.execute('c')).toMatchObject({ claimsCompleted: 0 });
    expect(w.winners.winners).toEqual([]);
    // Nor by the passes after it, on the campaign as it is now.
    w.advance(GRACE);
    expect(await w.reconcile.execute('c')).toMatchObject({ claimsCompleted: 0 });
    expect(w.winners.winners).toEqual([]);
  });

  test('after the end, a stopped claim is let go and its slot freed: the counter, free slots and winners agree', async () => {
    await stoppedClaim();
    w.advance(1);
    await w.saveCampaign.execute('c', { endsAt: w.clock.now() });

    await w.reconcile.execute('c'); // the claim seen for the first time
    w.advance(GRACE);
    expect(await w.reconcile.execute('c')).toMatchObject({ claimsCompleted: 0, holdersCorrected: 1 });
    expect(await w.slots.inspect('c')).toMatchObject({ counter: 2, holders: 1, free: 0 });
    w.advance(GRACE); // its slot, now held by nobody, freed once that persists
    expect(await w.reconcile.execute('c')).toMatchObject({ slotsFreed: 1 });
    expect(await w.slots.inspect('c')).toMatchObject({ counter: 2, holders: 1, free: 1 });
    expect(w.winners.winners).toEqual([expect.objectContaining({ userId: users.a, slot: 1 })]);
  });

  test('a slot nobody holds and nobody won is freed after the grace period, and handed out first', async () => {
    await campaign(3);
    await login('a');
    await login('b');
    await login('c'); // full: 1..3
    // Redis loses b's claim record and MongoDB never got it: slot 2 is a hole.
    w.winners.winners.splice(1, 1);
    w.slots.campaigns.get('c')?.slots.delete(users.b as string);
    expect(await outcome('d')).toMatchObject({ outcome: 'full' });

    expect(await w.reconcile.execute('c')).toMatchObject({ slotsFreed: 0, waiting: 1 });
    w.advance(GRACE);
    expect(await w.reconcile.execute('c')).toMatchObject({ slotsFreed: 1 });
    expect(await outcome('d')).toMatchObject({ outcome: 'won', slot: 2 }); // a loser logging in again
    expect(winnerSlots()).toEqual([1, 2, 3]);
    expect(await w.reconcile.execute('c')).toMatchObject({ slotsFreed: 0, waiting: 0 });
  });

  test('re-delivers a voucher request for every winner without a voucher, and leaves queued ones alone', async () => {
    await campaign(5);
    w.voucherQueue.failWith = new Error('queue down');
    await login('a');
    w.voucherQueue.failWith = null;
    await login('b');
    const report = await w.reconcile.execute('c');
    expect(report).toMatchObject({ vouchersRequeued: 1, vouchersInQueue: 1 });
    expect(w.voucherQueue.requests.size).toBe(2);
  });

  test('puts the database’s settings back over an older version, never over a newer one', async () => {
    await campaign(5);
    await login('a');
    const saved = await w.campaigns.findById('c');
    const database = { limit: 5, paused: false, version: saved?.version, startsAt: saved?.startsAt, endsAt: null };
    const state = w.slots.campaigns.get('c');
    if (!state?.settings) throw new Error('no settings');
    state.settings = { ...state.settings, limit: 9, paused: true, version: 0 }; // an older Redis image
    expect(await w.reconcile.execute('c')).toMatchObject({ settingsRestored: true, settingsProblem: null });
    expect((await w.slots.snapshot('c')).settings).toEqual(database);

    // A change the counter took at a newer version than the database holds (its database write pending):
    state.settings = { ...state.settings, paused: true, version: (saved?.version ?? 0) + 1 };
    expect(await w.reconcile.execute('c')).toMatchObject({ settingsRestored: false, settingsProblem: 'counter_ahead' });
    expect((await w.slots.snapshot('c')).settings).toMatchObject({ paused: true });
    expect(await outcome('b')).toMatchObject({ outcome: 'paused' });
  });

  test('a counter ahead of the database is an error only when it stays ahead longer than a save takes', async () => {
    const errors: string[] = [];
    const infos: string[] = [];
    w = unitWorld({
      reconcileLogger: {
        info: (_fields, message) => infos.push(message),
        warn: () => {},
        error: (_fields, message) => errors.push(message),
      },
    });
    await w.saveCampaign.execute('c', { startsAt: w.clock.now(), limit: 5 });
    const saved = await w.campaigns.findById('c');
    const state = w.slots.campaigns.get('c');
    if (!state?.settings || saved === null) throw new Error('no settings');
    state.settings = { ...state.settings, paused: true, version: saved.version + 1 }; // a save between its writes

    await w.reconcile.execute('c');
    w.advance(COUNTER_AHEAD_PATIENCE_MS - 1);
    await w.reconcile.execute('c');
    expect(errors).toEqual([]);
    expect(infos.filter((m) => m.startsWith('counter ahead'))).toHaveLength(2);

    w.advance(1); // the save stopped between its writes: an operator must save again
    await w.reconcile.execute('c');
    expect(errors).toEqual([expect.stringContaining('claims cannot win until an operator saves')]);

    // Another version found ahead starts its own wait.
    state.settings = { ...state.settings, paused: false, version: saved.version + 2 };
    await w.reconcile.execute('c');
    expect(errors).toHaveLength(1);
  });

  test('re-delivers vouchers several at a time, never more than REDELIVERY_CONCURRENCY', async () => {
    await campaign(40);
    for (let slot = 1; slot <= 40; slot += 1) {
      await w.winners.record({
        campaignId: 'c',
        userId: `u${slot}`,
        slot,
        voucherCode: `code-${slot}`,
        createdAt: w.clock.now(),
        run: 0,
      });
    }
    let running = 0;
    let most = 0;
    const seen: string[] = [];
    jest.spyOn(w.voucherQueue, 'redeliver').mockImplementation(async (_campaignId, userId) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running -= 1;
      seen.push(userId);
      return 'added';
    });
    const report = await w.reconcile.execute('c');
    expect(report.vouchersRequeued).toBe(40);
    expect(new Set(seen).size).toBe(40);
    expect(most).toBe(REDELIVERY_CONCURRENCY);
  });

  test('a slow pass logs how long each step took; a quick one does not', async () => {
    const slow: Record<string, unknown>[] = [];
    const recording = (threshold: number) =>
      unitWorld({
        slowPassMs: threshold,
        reconcileLogger: {
          info: () => {},
          warn: (fields, message) => message === 'slow reconciliation pass' && slow.push(fields),
          error: () => {},
        },
      });
    for (const threshold of [60_000, 0]) {
      w = recording(threshold);
      await w.saveCampaign.execute('c', { startsAt: w.clock.now(), limit: 5 });
      await w.reconcile.execute('c');
    }
    expect(slow).toEqual([
      {
        campaignId: 'c',
        tookMs: expect.any(Number),
        winners: 0,
        waiting: 0,
        stepsMs: {
          read: expect.any(Number),
          endedRun: expect.any(Number),
          orphanVouchers: expect.any(Number),
          settings: expect.any(Number),
          slotMap: expect.any(Number),
          claims: expect.any(Number),
          pending: expect.any(Number),
          counter: expect.any(Number),
          freeList: expect.any(Number),
          vouchers: expect.any(Number),
        },
      },
    ]);
  });

  test('reconciles every started campaign that ended less than a week ago', async () => {
    await w.saveCampaign.execute('running', { startsAt: w.clock.now() });
    await w.saveCampaign.execute('future', { startsAt: new Date(w.clock.now().getTime() + 60_000) });
    await w.saveCampaign.execute('old', {
      startsAt: new Date('2026-01-01T00:00:00Z'),
      endsAt: new Date('2026-02-01T00:00:00Z'),
    });
    const results = await w.reconcile.executeAll();
    expect(results.map((r) => r.campaignId)).toEqual(['running']);
  });
});
