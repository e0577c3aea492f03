import { GetCampaignStats } from '../../src/application/campaign-stats.use-case';
import { IssueVoucher } from '../../src/application/issue-voucher.use-case';
import {
  RESET_TAKEOVER_MS,
  ResetCampaign,
  type ResetCampaignResult,
} from '../../src/application/reset-campaign.use-case';
import { settleWinner } from '../../src/application/support/settle-winner';
import { voucherCodeFor } from '../../src/application/support/voucher-code';
import { ORPHAN_VOUCHERS_PER_PASS } from '../../src/application/reconcile-campaign.use-case';
import { silentLogger } from '../../src/adapters/silent-logger';
import { unitWorld, type UnitWorld } from '../support/fakes/unit-world';
import { CachedCampaignStore } from '../../src/adapters/memory/cached-campaign-store';
import type { LoginToCampaignInput } from '../../src/application/login-to-campaign.use-case';
import { settingsOf } from '../../src/domain/campaign';
import { termsOf, voucherFor, type Voucher } from '../../src/domain/voucher';
import { AppError } from '../../src/errors';
import { InMemorySoldOutView } from '../support/fakes/in-memory-sold-out-view';

let w: UnitWorld;
let alice: string;

beforeEach(async () => {
  w = unitWorld();
  alice = await w.addUser('alice');
  await w.addUser('bob');
  await w.addUser('carol');
});

const login = (account: string, campaignId?: string) =>
  w.login.execute({ credentials: { kind: 'password', account, password: 'pw' }, campaignId, clientIp: '203.0.113.7' });

describe('the claim', () => {
  test('records participation, slot, winner and voucher request, in that order of authority', async () => {
    await w.saveCampaign.execute('c', { limit: 2, startsAt: w.clock.now() });
    const result = await login('alice', 'c');
    expect(result).toMatchObject({ status: true, errorCode: null, undecided: false });
    expect(result.campaigns).toEqual([
      {
        campaignId: 'c',
        outcome: 'won',
        slot: 1,
        voucher: expect.objectContaining({ code: voucherCodeFor('c', alice), discount: 30 }),
      },
    ]);
    expect(w.participations.entries.size).toBe(1);
    expect(w.winners.winners).toHaveLength(1);
    expect(w.voucherQueue.requests.size).toBe(1);
  });

  test('the voucher expires validity days after the slot was won, whenever the user asks again', async () => {
    await w.saveCampaign.execute('c', { limit: 2, startsAt: w.clock.now(), voucherValidityDays: 10 });
    const first = await login('alice', 'c');
    w.advance(60_000);
    const again = await login('alice', 'c');
    expect(again.campaigns[0]?.outcome).toBe('already_won');
    expect(again.campaigns[0]?.voucher?.expireDate).toEqual(first.campaigns[0]?.voucher?.expireDate);
    expect(first.campaigns[0]?.voucher?.expireDate).toEqual(new Date('2026-06-11T12:00:00Z'));
  });

  test('only a winner writes its participation before the answer; every other login is recorded in a batch', async () => {
    await w.addUser('dave');
    await w.saveCampaign.execute('c', { limit: 1, startsAt: w.clock.now() });
    const recordSpy = jest.spyOn(w.participations, 'record');
    await login('alice', 'c');
    expect(recordSpy).toHaveBeenCalledTimes(1);
    expect(w.participations.entries.size).toBe(1); // the winner's, before the answer
    expect((await login('bob', 'c')).errorCode).toBe('CAMPAIGN_FULL'); // the counter says full
    expect((await login('carol', 'c')).errorCode).toBe('CAMPAIGN_FULL'); // the view knows
    expect((await login('bob', 'c')).errorCode).toBe('CAMPAIGN_FULL'); // again: the same answer
    await w.saveCampaign.execute('c', { paused: true });
    expect((await login('dave', 'c')).errorCode).toBe('CAMPAIGN_PAUSED');
    expect(recordSpy).toHaveBeenCalledTimes(1); // the others go through recordMany, in a batch
    await w.lateParticipants.flush();
    expect(w.participations.entries.size).toBe(4); // bob once
  });

  test('a winner of a sold-out campaign is still told already_won', async () => {
    await w.saveCampaign.execute('c', { limit: 1, startsAt: w.clock.now() });
    await login('alice', 'c');
    await login('bob', 'c');
    expect((await login('alice', 'c')).campaigns[0]).toMatchObject({ outcome: 'already_won', slot: 1 });
  });

  test('a missing counter closes claims: unavailable, nothing recorded as won', async () => {
    await w.saveCampaign.execute('c', { limit: 5, startsAt: w.clock.now() });
    w.slots.forget('c');
    const result = await login('alice', 'c');
    expect(result).toMatchObject({ status: false, errorCode: 'SERVICE_UNAVAILABLE', undecided: true });
    expect(result.campaigns[0]?.outcome).toBe('unavailable');
    expect(w.winners.winners).toHaveLength(0);
  });

  test('the winner record decides: a user the database already knows keeps their recorded slot', async () => {
    await w.saveCampaign.execute('c', { limit: 5, startsAt: w.clock.now() });
    await login('alice', 'c');
    // Redis forgets alice's slot but not the campaign; her next claim gets a fresh slot from the counter.
    w.slots.campaigns.get('c')?.slots.delete(alice);
    const result = await login('alice', 'c');
    expect(result.campaigns[0]).toMatchObject({ outcome: 'already_won', slot: 1 });
    expect(w.winners.winners).toHaveLength(1);
  });

  test('a slot already recorded for someone else is never answered as won: the claim moves forward', async () => {
    await w.saveCampaign.execute('c', { limit: 5, startsAt: w.clock.now() });
    await login('alice', 'c');
    // The counter goes backwards (a stale Redis): bob is handed slot 1 again.
    const state = w.slots.campaigns.get('c');
    if (state) {
      state.counter = 0;
      state.slots.clear();
    }
    const result = await login('bob', 'c');
    expect(result.campaigns[0]).toMatchObject({ outcome: 'won', slot: 2 });
    expect(w.winners.winners.map((x) => x.slot)).toEqual([1, 2]);
  });

  test('a failed or slow enqueue does not undo a win: the winner record is the outbox', async () => {
    await w.saveCampaign.execute('c', { limit: 5, startsAt: w.clock.now() });
    w.voucherQueue.failWith = new Error('queue down');
    expect((await login('alice', 'c')).campaigns[0]?.outcome).toBe('won');
    w.voucherQueue.failWith = null;
    jest.spyOn(w.voucherQueue, 'requestIssue').mockImplementation(() => new Promise(() => {})); // never settles
    expect((await login('bob', 'c')).campaigns[0]?.outcome).toBe('won');
    expect(w.winners.winners).toHaveLength(2);
  });

  test('a failed winner write answers unavailable, and the retry completes the claim with the same slot', async () => {
    await w.saveCampaign.execute('c', { limit: 5, startsAt: w.clock.now() });
    w.claimer.close(); // the user's own retry, not the API's follow-up (below), completes it here
    const record = jest.spyOn(w.winners, 'record').mockRejectedValueOnce(new Error('database timeout'));
    expect((await login('alice', 'c')).campaigns[0]?.outcome).toBe('unavailable');
    expect((await login('alice', 'c')).campaigns[0]).toMatchObject({ outcome: 'won', slot: 1 });
    expect(record).toHaveBeenCalledTimes(2);
  });
});

describe('a slot the database refuses', () => {
  test('refused as paused (Redis behind the database) is given up: nothing records it later, and the next login claims afresh', async () => {
    await w.saveCampaign.execute('c', { limit: 5, startsAt: w.clock.now() });
    // The database is paused; Redis never heard (an older image, say).
    const stored = (await w.campaigns.findById('c'))!;
    await w.campaigns.save({ ...stored, paused: true, version: stored.version + 1 }, stored.version);
    expect((await login('alice', 'c')).campaigns[0]).toMatchObject({ outcome: 'paused' });
    expect(await w.slots.inspect('c')).toMatchObject({ counter: 1, holders: 0 });

    await w.saveCampaign.execute('c', { paused: false });
    // Seen, then seen again past its grace: a slot still held unrecorded would be recorded now.
    await w.reconcile.execute('c');
    w.advance(60_000);
    await w.reconcile.execute('c');
    expect(w.winners.winners).toEqual([]);
    expect((await login('alice', 'c')).campaigns[0]).toMatchObject({ outcome: 'won' });
  });

  test('slots refused while a resume is half saved go to the next logins at once: the raised limit fills up', async () => {
    const byToken = (userId: string) =>
      w.login.execute({
        credentials: { kind: 'token', token: `token-for.${userId}` },
        campaignId: 'c',
        clientIp: '203.0.113.7',
      });
    await w.saveCampaign.execute('c', { limit: 3, startsAt: w.clock.now() });
    for (const user of ['u1', 'u2', 'u3']) expect((await byToken(user)).campaigns[0]?.outcome).toBe('won');
    await w.saveCampaign.execute('c', { paused: true });
    await w.saveCampaign.execute('c', { limit: 8 });
    // The resume's first step (the counter) has landed, its second (the database) not yet.
    const stored = (await w.campaigns.findById('c'))!;
    await w.slots.publish('c', settingsOf({ ...stored, paused: false, version: stored.version + 1 }), false, {
      strict: true,
    });
    for (const user of ['u4', 'u5']) expect((await byToken(user)).campaigns[0]?.outcome).toBe('paused');
    await w.saveCampaign.execute('c', { paused: false });
    // No reconciliation: the two refused slots are handed out again, and the campaign fills to 8.
    const outcomes = [];
    for (const user of ['u6', 'u7', 'u8', 'u9', 'u10', 'u11']) outcomes.push((await byToken(user)).campaigns[0]);
    expect(outcomes.map((o) => o?.outcome)).toEqual(['won', 'won', 'won', 'won', 'won', 'full']);
    expect(w.winners.winners.map((winner) => winner.slot).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  test('a login answered 503 that reconciliation completed hears already_won with its slot after the campaign ended', async () => {
    await w.saveCampaign.execute('c', {
      limit: 5,
      startsAt: w.clock.now(),
      endsAt: new Date(w.clock.now().getTime() + 600_000),
    });
    w.claimer.close(); // reconciliation completes it here, not the API's follow-up
    jest.spyOn(w.winners, 'record').mockRejectedValueOnce(new Error('database timeout'));
    expect((await login('alice', 'c')).campaigns[0]?.outcome).toBe('unavailable');
    await w.reconcile.execute('c');
    w.advance(60_000);
    await w.reconcile.execute('c');
    expect(w.winners.winners.map((winner) => winner.slot)).toEqual([1]);
    w.advance(600_000);
    expect((await login('alice', 'c')).campaigns[0]).toMatchObject({ outcome: 'already_won', slot: 1 });
    expect((await login('bob', 'c')).campaigns[0]).toMatchObject({ outcome: 'not_active' });
  });
});

describe('which campaigns a login counts for', () => {
  test('without an id: every running campaign; paused ones answer paused; future ones are left out', async () => {
    await w.saveCampaign.execute('open', { limit: 5, startsAt: w.clock.now() });
    await w.saveCampaign.execute('held', { limit: 5, startsAt: w.clock.now(), paused: true });
    await w.saveCampaign.execute('soon', { limit: 5, startsAt: new Date(w.clock.now().getTime() + 1_000) });
    const result = await login('alice');
    expect(Object.fromEntries(result.campaigns.map((c) => [c.campaignId, c.outcome]))).toEqual({
      open: 'won',
      held: 'paused',
    });
    expect(result.status).toBe(true);
  });

  test('an unknown id is CAMPAIGN_NOT_FOUND; a known one outside its window is not_active', async () => {
    await expect(login('alice', 'nope')).rejects.toMatchObject({ code: 'CAMPAIGN_NOT_FOUND' });
    await w.saveCampaign.execute('ended', {
      startsAt: new Date('2026-01-01T00:00:00Z'),
      endsAt: new Date('2026-02-01T00:00:00Z'),
    });
    expect(await login('alice', 'ended')).toMatchObject({ status: false, errorCode: 'CAMPAIGN_NOT_ACTIVE' });
  });

  test('a token for a user is the same user as their password: one person, one slot', async () => {
    await w.saveCampaign.execute('c', { limit: 5, startsAt: w.clock.now() });
    expect((await login('alice', 'c')).campaigns[0]).toMatchObject({ outcome: 'won', slot: 1 });
    const byToken = await w.login.execute({
      credentials: { kind: 'token', token: `token-for.${alice}` },
      campaignId: 'c',
      clientIp: '203.0.113.7',
    });
    expect(byToken.userId).toBe(alice);
    expect(byToken.campaigns[0]).toMatchObject({ outcome: 'already_won', slot: 1 });
    expect(w.throttle.events).toContain(`admit token ${alice} 203.0.113.7`);
    await expect(
      w.login.execute({ credentials: { kind: 'token', token: 'forged' }, campaignId: 'c', clientIp: '203.0.113.7' }),
    ).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
  });

  test('wrong password and unknown account fail alike and touch no campaign', async () => {
    await w.saveCampaign.execute('c', { limit: 5, startsAt: w.clock.now() });
    for (const [account, password] of [
      ['alice', 'bad'],
      ['mallory', 'pw'],
    ] as const) {
      await expect(
        w.login.execute({
          credentials: { kind: 'password', account, password },
          campaignId: 'c',
          clientIp: '203.0.113.7',
        }),
      ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    }
    expect(w.participations.entries.size).toBe(0);
    expect(await w.slots.readCounter('c')).toBe(0);
  });

  test('an unknown account still costs a password hash check', async () => {
    const verify = jest.spyOn(w.hasher, 'verify');
    await expect(w.authenticate.execute('mallory', 'pw', '203.0.113.7')).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    expect(verify).toHaveBeenCalledTimes(1);
  });

  test('a user directory outage is SERVICE_UNAVAILABLE, not a failed login', async () => {
    jest.spyOn(w.users, 'findByAccount').mockRejectedValueOnce(new Error('connection reset'));
    await expect(login('alice')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  test('a login admitted but never checked gives its held place back; a checked one settles it', async () => {
    jest.spyOn(w.users, 'findByAccount').mockRejectedValueOnce(new Error('connection reset'));
    const counted = w.throttle.events.length;
    await expect(w.authenticate.execute('alice', 'pw', '203.0.113.7')).rejects.toThrow('connection reset');
    await expect(w.authenticate.execute('alice', 'bad', '203.0.113.7')).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    await w.authenticate.execute('alice', 'pw', '203.0.113.7');
    expect(w.throttle.events.slice(counted)).toEqual([
      'admit alice 203.0.113.7',
      'release alice',
      'admit alice 203.0.113.7',
      'failure alice',
      'admit alice 203.0.113.7',
      'success alice',
    ]);
  });
});

describe('campaign settings', () => {
  test('refuse invalid values with every problem named, storing nothing', async () => {
    await expect(w.saveCampaign.execute('bad', { limit: 0, discount: 150 })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      details: { problems: [expect.stringMatching(/^limit/), expect.stringMatching(/^discount/)] },
    });
    expect(await w.campaigns.findById('bad')).toBeNull();
    expect(await w.slots.readCounter('bad')).toBeNull();
  });

  test('a campaign that already has winners never gets a fresh counter from a save', async () => {
    await w.saveCampaign.execute('c', { limit: 5, startsAt: w.clock.now() });
    await login('alice', 'c');
    w.slots.forget('c');
    const saved = await w.saveCampaign.execute('c', { limit: 6 });
    expect(saved.counter).toBeNull();
    expect((await login('bob', 'c')).campaigns[0]?.outcome).toBe('unavailable');
  });

  test('reset is refused while the campaign runs, and afterwards restarts it from slot 1', async () => {
    await w.saveCampaign.execute('c', { limit: 5, startsAt: w.clock.now() });
    await login('alice', 'c');
    const reset = resetOf(w);
    await expect(reset.execute('c', 'ops')).rejects.toMatchObject({ code: 'CAMPAIGN_RUNNING' });
    expect(w.winners.winners).toHaveLength(1);

    await endCampaign(w);
    expect(await reset.execute('c', 'ops')).toEqual({ winners: 1, vouchers: 0, participations: 1 });
    expect(w.audit.entries.map((e) => `${e.actor}:${e.action}`)).toEqual(['test:create', 'test:update', 'ops:reset']);
    await w.saveCampaign.execute('c', { endsAt: null });
    expect((await login('bob', 'c')).campaigns[0]).toMatchObject({ outcome: 'won', slot: 1 });
  });

  test('refuse a limit below the recorded winners even when the counter is gone', async () => {
    await w.saveCampaign.execute('c', { limit: 5, startsAt: w.clock.now() });
    await login('alice', 'c');
    await login('bob', 'c');
    w.slots.forget('c');
    await expect(w.saveCampaign.execute('c', { limit: 1 })).rejects.toMatchObject({
      code: 'CAMPAIGN_LIMIT_BELOW_COUNTER',
    });
  });

  test('a winner recorded above a lowered limit while the change was saved puts the limit back, and 409', async () => {
    // A claim in flight whose slot 3 the counter does not count (Redis lost it) inserts its winner after
    // the change read the winners, and read the campaign again before the change was stored.
    await recordsAfterFirstCheck({ userId: alice, slot: 3 });
    await expect(w.saveCampaign.execute('c', { limit: 1 })).rejects.toMatchObject({
      code: 'CAMPAIGN_LIMIT_BELOW_COUNTER',
      details: { highestSlot: 3, limit: 5 },
    });
    expect((await w.campaigns.findById('c'))?.limit).toBe(5);
    expect(w.slots.campaigns.get('c')?.settings?.limit).toBe(5);
    expect(w.audit.entries.map((e) => `${e.actor}:${e.action}`)).toEqual([
      'test:create',
      'test:update',
      'test:limit-restored',
    ]);
    // Nothing else is in the way: the same change, made again, is refused by its first check.
    await expect(w.saveCampaign.execute('c', { limit: 1 })).rejects.toMatchObject({
      details: { highestSlot: 3 },
    });
  });

  /**
   * Campaign c, limit 5, whose next change reads the winners before these records land: claims whose slots
   * the counter does not count. Each is of the campaign's run (or of the run before it, `ofEndedRun`), and
   * `pending` when its claim has not decided it.
   */
  async function recordsAfterFirstCheck(
    ...records: { userId: string; slot: number; pending?: boolean; ofEndedRun?: boolean }[]
  ): Promise<void> {
    await w.saveCampaign.execute('c', { limit: 5, startsAt: w.clock.now() });
    const { run } = (await w.campaigns.findById('c'))!;
    const maxSlot = w.winners.maxSlot.bind(w.winners);
    jest.spyOn(w.winners, 'maxSlot').mockImplementationOnce(async (id) => {
      const before = await maxSlot(id);
      for (const { userId, slot, pending, ofEndedRun } of records) {
        const winner = { campaignId: 'c', userId, slot, voucherCode: `V${slot}`, createdAt: w.clock.now() };
        await w.winners.record({ ...winner, run: ofEndedRun ? run - 1 : run, ...(pending ? { pending: true } : {}) });
      }
      return before;
    });
  }

  test('a pause is never refused for a winner standing above the stored limit (its put-back under way)', async () => {
    await w.saveCampaign.execute('c', { limit: 5, startsAt: w.clock.now() });
    const stored = (await w.campaigns.findById('c'))!;
    await w.campaigns.save({ ...stored, limit: 1, version: stored.version + 1 }, stored.version);
    const winner = { campaignId: 'c', userId: alice, slot: 3, voucherCode: 'V', createdAt: w.clock.now() };
    await w.winners.record({ ...winner, run: stored.run });
    const stats = new GetCampaignStats(w.campaigns, w.participations, w.winners, w.vouchers, w.slots);
    expect((await stats.execute('c')).stats.drift).toMatchObject({ winnersAboveLimit: true });
    const saved = await w.saveCampaign.execute('c', { paused: true });
    expect(saved.campaign).toMatchObject({ paused: true, limit: 1 });
    expect(w.slots.campaigns.get('c')?.settings).toMatchObject({ paused: true });
  });

  test('a winner still pending above a lowered limit is removed by the change, which stands', async () => {
    await recordsAfterFirstCheck({ userId: alice, slot: 3, pending: true });
    const saved = await w.saveCampaign.execute('c', { limit: 1 });
    expect(saved.campaign.limit).toBe(1);
    expect(await w.winners.find('c', alice)).toBeNull();
    expect((await w.campaigns.findById('c'))?.limit).toBe(1);
    expect(w.audit.entries.map((e) => e.action)).toEqual(['create', 'update']);
  });

  test('a winner settled above a lowered limit puts it back at once; records still pending are left to their readers', async () => {
    const bob = (await w.users.findByAccount('bob'))!.userId;
    // Alice's record settled (she may have been told), bob's still pending (his claim has not decided it).
    await recordsAfterFirstCheck({ userId: alice, slot: 3 }, { userId: bob, slot: 4, pending: true });
    const removePending = jest.spyOn(w.winners, 'removePending');
    await expect(w.saveCampaign.execute('c', { limit: 1 })).rejects.toMatchObject({
      code: 'CAMPAIGN_LIMIT_BELOW_COUNTER',
      details: { highestSlot: 3, limit: 5 },
    });
    expect((await w.campaigns.findById('c'))?.limit).toBe(5);
    // Bob's record was not decided against the limit about to go back (and then put back after it).
    expect(removePending).not.toHaveBeenCalled();
    const bobs = await w.winners.find('c', bob);
    expect(bobs).toMatchObject({ slot: 4, pending: true });
    // His claim decides it against the limit in force now: it stands.
    const current = await w.campaigns.findById('c');
    expect(await settleWinner({ winners: w.winners, vouchers: w.vouchers, clock: w.clock }, bobs!, current)).toBe(
      'stands',
    );
  });

  test('a settled record of a run a reset ended is no winner above a lowered limit: it goes, and the change stands', async () => {
    // Left by a delete that raced the reset which ended its run (the run before this one).
    await recordsAfterFirstCheck({ userId: alice, slot: 3, ofEndedRun: true });
    const saved = await w.saveCampaign.execute('c', { limit: 1 });
    expect(saved.campaign.limit).toBe(1);
    expect(await w.winners.find('c', alice)).toBeNull();
    expect(w.audit.entries.map((e) => e.action)).toEqual(['create', 'update']);
  });

  test('a lower limit is refused while the counter has lost its slots, and changes nothing; a pause is not', async () => {
    await w.saveCampaign.execute('c', { limit: 5, startsAt: w.clock.now() });
    for (const user of ['u1', 'u2', 'u3']) await w.slots.claim('c', user); // claims in flight, none recorded
    w.slots.campaigns.delete('c'); // Redis lost everything
    const version = (await w.campaigns.findById('c'))!.version;
    await expect(w.saveCampaign.execute('c', { limit: 1 })).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      details: { counter: 'rebuilding' },
    });
    expect(await w.campaigns.findById('c')).toMatchObject({ limit: 5, version });
    expect(w.slots.campaigns.get('c')?.settings).toBeUndefined();
    expect(w.audit.entries.map((e) => e.action)).toEqual(['create']);
    // A pause, a raise: never refused for it.
    expect((await w.saveCampaign.execute('c', { paused: true })).campaign).toMatchObject({ paused: true, limit: 5 });
    expect((await w.saveCampaign.execute('c', { limit: 8 })).campaign).toMatchObject({ limit: 8 });
  });

  test('the limit is put back over a newer version another change published meanwhile, keeping what is stored', async () => {
    await recordsAfterFirstCheck({ userId: alice, slot: 3 });
    // Between this change's store and its put-back, another change (refused by the database) leaves the
    // counter two versions ahead, as its put-back of the database's settings does.
    const publish = w.slots.publish.bind(w.slots);
    let calls = 0;
    jest.spyOn(w.slots, 'publish').mockImplementation(async (id, settings, fresh, options) => {
      calls += 1;
      if (calls === 2) {
        const now = (await w.campaigns.findById(id))!;
        await publish(id, { ...settingsOf(now), version: now.version + 2 }, false, { strict: true });
      }
      return publish(id, settings, fresh, options);
    });
    await expect(w.saveCampaign.execute('c', { limit: 1 })).rejects.toMatchObject({
      code: 'CAMPAIGN_LIMIT_BELOW_COUNTER',
      details: { highestSlot: 3, limit: 5 },
    });
    const stored = (await w.campaigns.findById('c'))!;
    expect(stored.limit).toBe(5);
    expect(w.slots.campaigns.get('c')?.settings).toMatchObject({ limit: 5, version: stored.version });
    expect(w.audit.entries.map((e) => e.action)).toEqual(['create', 'update', 'limit-restored']);
  });
});

const resetOf = (world: UnitWorld) =>
  new ResetCampaign(
    world.campaigns,
    world.winners,
    world.vouchers,
    world.participations,
    world.slots,
    world.audit,
    world.clock,
    silentLogger,
  );

/** Ends campaign c a second ago, as an operator's PATCH endsAt=now does. */
async function endCampaign(world: UnitWorld): Promise<void> {
  await world.saveCampaign.execute('c', { endsAt: new Date(world.clock.now().getTime() + 1) });
  world.advance(1_000);
}

/** An operator's three calls, each answered in turn: end campaign c, reset it, open it again. */
async function endResetReopen(world: UnitWorld): Promise<ResetCampaignResult> {
  await endCampaign(world);
  const result = await resetOf(world).execute('c', 'ops');
  await world.saveCampaign.execute('c', { endsAt: null });
  return result;
}

describe('a reset ends the run: a winner landing after its delete is none of the next run', () => {
  /** A campaign of `limit` slots that alice won slot 1 of, then ended a second ago: ready to be reset. */
  async function aliceWonThenEnded(limit: number): Promise<void> {
    await w.saveCampaign.execute('c', { limit, startsAt: w.clock.now() });
    await login('alice', 'c');
    await endCampaign(w);
  }

  /**
   * Alice's claim reads the campaign while it runs; before her winner's insert lands, the campaign ends, is
   * reset and reopens (the operator's three calls, each answered). Then (after `beforeLanding`) it lands.
   */
  async function resetBeforeAliceLands(beforeLanding = () => {}): Promise<ReturnType<typeof login>> {
    await w.saveCampaign.execute('c', { limit: 2, startsAt: w.clock.now() });
    const record = w.winners.record.bind(w.winners);
    let landed!: () => void;
    const resetDone = new Promise<void>((resolve) => (landed = resolve));
    jest.spyOn(w.winners, 'record').mockImplementationOnce(async (winner) => {
      await resetDone;
      return record(winner);
    });
    const alices = login('alice', 'c');
    await until(() => (w.winners.record as jest.Mock).mock.calls.length === 1);
    expect(await endResetReopen(w)).toEqual({ winners: 0, vouchers: 0, participations: 1 });
    beforeLanding();
    landed();
    return alices;
  }

  test('the claim finds the new run after its insert, removes its record and answers 503', async () => {
    const alices = await resetBeforeAliceLands();
    expect((await alices).campaigns[0]).toMatchObject({ outcome: 'unavailable', errorCode: 'SERVICE_UNAVAILABLE' });
    expect(w.winners.winners).toEqual([]);
    await asked0JobWritesNothing();
    // The new run from slot 1, alice included: her retry is a login of the new run.
    expect((await login('bob', 'c')).campaigns[0]).toMatchObject({ outcome: 'won', slot: 1 });
    expect((await login('alice', 'c')).campaigns[0]).toMatchObject({ outcome: 'won', slot: 2 });
    expect(w.winners.winners.map((x) => [x.userId, x.run])).toEqual([
      [expect.any(String), 1],
      [alice, 1],
    ]);
  });

  /** Alice's claim lands its record as a reset runs, and her process stops before its check after the insert. */
  async function aliceStopsBeforeHerCheck() {
    const findById = w.campaigns.findById.bind(w.campaigns);
    // A stopped process follows nothing up (here a follow-up would finish the slot her 503'd login below
    // holds, at a moment of its own choosing).
    w.claimer.close();
    // Her process reads nothing more (it stopped): the check after the insert never answers.
    const alices = await resetBeforeAliceLands(() =>
      jest.spyOn(w.campaigns, 'findById').mockImplementationOnce(() => Promise.reject(new Error('process stopped'))),
    );
    expect((await alices).campaigns[0]?.outcome).toBe('unavailable');
    jest.mocked(w.campaigns.findById).mockImplementation(findById);
    expect(w.winners.winners).toMatchObject([{ userId: alice, slot: 1, run: 0 }]);
  }

  test('a claim that stops before its check leaves a record reconciliation removes; no voucher is written for it', async () => {
    await aliceStopsBeforeHerCheck();

    // It wins nothing in the new run: her own login is told to retry (and asks for reconciliation) ...
    w.reconcileTrigger.requested.length = 0;
    expect((await login('alice', 'c')).campaigns[0]).toMatchObject({ outcome: 'unavailable' });
    expect(w.reconcileTrigger.requested).toEqual(['c']);
    // ... the voucher job refuses it, and removes a voucher a racing job had written ...
    const issue = new IssueVoucher(w.winners, w.campaigns, w.vouchers, w.clock);
    await expect(issue.execute('c', alice)).rejects.toMatchObject({ code: 'WINNER_NOT_FOUND' });
    expect(w.vouchers.vouchers).toEqual([]);
    // ... and reconciliation removes the record (and any voucher), without waiting for a grace period.
    await w.vouchers.insert({
      code: 'x',
      userId: alice,
      campaignId: 'c',
      discount: 30,
      description: 'd',
      expireDate: w.clock.now(),
      voucherType: 'T',
      createdAt: w.clock.now(),
    });
    const report = await w.reconcile.execute('c');
    expect(report).toMatchObject({ endedRunRemoved: 1, winners: 0 });
    expect(w.winners.winners).toEqual([]);
    expect(w.vouchers.vouchers).toEqual([]);
    expect((await login('alice', 'c')).campaigns[0]).toMatchObject({ outcome: 'won', slot: 1 });
    expect(w.winners.winners).toMatchObject([{ userId: alice, slot: 1, run: 1 }]);
    expect(await issue.execute('c', alice)).toBe('created');
  });

  test("a pass that stalls between removing an ended run's record and its voucher leaves the new run's voucher", async () => {
    await aliceStopsBeforeHerCheck();
    const deleteOfRun = w.winners.deleteOfRun.bind(w.winners);
    let current: unknown[] = [];
    jest.spyOn(w.winners, 'deleteOfRun').mockImplementationOnce(async (...args) => {
      const deleted = await deleteOfRun(...args);
      w.advance(5_000); // the pass stalls here; alice wins the new run and its job delivers
      expect((await login('alice', 'c')).campaigns[0]).toMatchObject({ outcome: 'won', slot: 1 });
      expect(await new IssueVoucher(w.winners, w.campaigns, w.vouchers, w.clock).execute('c', alice)).toBe('created');
      current = w.vouchers.vouchers.map((v) => ({ ...v }));
      return deleted;
    });
    expect(await w.reconcile.execute('c')).toMatchObject({ endedRunRemoved: 1 });
    expect(current).toHaveLength(1);
    expect(w.vouchers.vouchers).toEqual(current);
  });

  test('a voucher whose write landed after the reset took its winner is removed by reconciliation, and only that voucher', async () => {
    await aliceWonThenEnded(2);
    const issue = new IssueVoucher(w.winners, w.campaigns, w.vouchers, w.clock);
    expect(await issue.execute('c', alice)).toBe('created');
    const [late] = w.vouchers.vouchers.map((v) => ({ ...v }));
    expect(await endResetReopen(w)).toEqual({ winners: 1, vouchers: 1, participations: 1 });
    // The write of an earlier try of the job, timed out on its side, lands inside the database now.
    await w.vouchers.insert(late!);

    const dryRun = await w.reconcile.execute('c', { dryRun: true });
    expect(dryRun).toMatchObject({ orphanVouchersRemoved: 1, winners: 0 });
    expect(w.vouchers.vouchers).toHaveLength(1);
    expect(await w.reconcile.execute('c')).toMatchObject({ orphanVouchersRemoved: 1, winners: 0 });
    expect(w.vouchers.vouchers).toEqual([]);
    expect(await w.reconcile.execute('c')).toMatchObject({ orphanVouchersRemoved: 0 });

    // Alice wins the new run; her voucher stands beside her record.
    w.advance(60_000);
    expect((await login('alice', 'c')).campaigns[0]).toMatchObject({ outcome: 'won', slot: 1 });
    expect(await issue.execute('c', alice)).toBe('created');
    const current = w.vouchers.vouchers[0]!;
    expect(current.expireDate).not.toEqual(late!.expireDate);
    expect(await w.reconcile.execute('c')).toMatchObject({ orphanVouchersRemoved: 0, winners: 1 });
    expect(w.vouchers.vouchers).toEqual([current]);

    // A pass whose read missed her record (it landed after the read) reads it again before deleting ...
    const listByCampaign = w.winners.listByCampaign.bind(w.winners);
    jest.spyOn(w.winners, 'listByCampaign').mockImplementationOnce(async () => []);
    expect(await w.reconcile.execute('c')).toMatchObject({ orphanVouchersRemoved: 0 });
    expect(w.vouchers.vouchers).toEqual([current]);
    // ... and one that saw the old run's voucher deletes that one only, never the voucher standing now.
    jest.mocked(w.winners.listByCampaign).mockImplementation(listByCampaign);
    jest.spyOn(w.winners, 'find').mockImplementationOnce(async () => null);
    jest.spyOn(w.vouchers, 'heldByCampaign').mockImplementationOnce(async () => new Map([[alice, late!.expireDate]]));
    jest.spyOn(w.winners, 'listByCampaign').mockImplementationOnce(async () => []);
    expect(await w.reconcile.execute('c')).toMatchObject({ orphanVouchersRemoved: 0 });
    expect(w.vouchers.vouchers).toEqual([current]);
  });

  test("a re-queued job (no told voucher) that read no winner, resumed after the user won again, leaves the new run's voucher", async () => {
    // The outside attack: reconciliation re-queued run 0's jobs without a told voucher; a worker read
    // alice's winner gone (the reset had deleted it), stopped, and resumed after she won run 1 and got its voucher.
    await aliceWonThenEnded(2);
    const issue = new IssueVoucher(w.winners, w.campaigns, w.vouchers, w.clock);
    expect(await issue.execute('c', alice, { run: 0 })).toBe('created'); // run 0's voucher, removed by the reset
    const find = w.winners.find.bind(w.winners);
    let current: unknown[] = [];
    jest.spyOn(w.winners, 'find').mockImplementationOnce(async (...args) => {
      const read = await find(...args); // no winner: the reset deleted it
      w.advance(5_000); // the worker stops here; meanwhile alice wins run 1 and its job delivers
      await w.saveCampaign.execute('c', { endsAt: null });
      expect((await login('alice', 'c')).campaigns[0]).toMatchObject({ outcome: 'won', slot: 1 });
      expect(await new IssueVoucher(w.winners, w.campaigns, w.vouchers, w.clock).execute('c', alice)).toBe('created');
      current = w.vouchers.vouchers.map((v) => ({ ...v }));
      return read;
    });
    await resetOf(w).execute('c', 'ops');
    expect(w.vouchers.vouchers).toEqual([]);
    await expect(issue.execute('c', alice, { run: 0 })).rejects.toMatchObject({ code: 'WINNER_NOT_FOUND' });
    expect(current).toHaveLength(1);
    expect(w.vouchers.vouchers).toEqual(current);

    // An earlier try's voucher, written before the read that found no winner, is still removed.
    const orphan = { ...(current[0] as Voucher), userId: 'nobody', code: 'x' };
    await w.vouchers.insert(orphan);
    w.advance(1_000);
    await expect(issue.execute('c', 'nobody', { run: 0 })).rejects.toMatchObject({ code: 'WINNER_NOT_FOUND' });
    expect(w.vouchers.vouchers).toEqual(current);
  });

  test("a job of an ended run, resumed after the user won again, never removes or replaces the new run's voucher", async () => {
    await aliceWonThenEnded(2);
    const [old] = w.winners.winners.map((x) => ({ ...x }));
    const campaign = (await w.campaigns.findById('c'))!;
    const terms = voucherFor(campaign, alice, old!.voucherCode, old!.createdAt, w.clock.now());
    const told = { terms: termsOf(terms), wonAt: old!.createdAt };
    expect(await endResetReopen(w)).toMatchObject({ winners: 1 });
    w.advance(60_000);
    await w.saveCampaign.execute('c', { discount: 55 });
    expect((await login('alice', 'c')).campaigns[0]).toMatchObject({ outcome: 'won', slot: 1 });
    const issue = new IssueVoucher(w.winners, w.campaigns, w.vouchers, w.clock);
    expect(await issue.execute('c', alice)).toBe('created');
    const current = w.vouchers.vouchers.map((v) => ({ ...v }));
    expect(current).toMatchObject([{ discount: 55 }]);

    // The old run's job read its winner before the reset (its worker stopped there) and resumes now.
    jest.spyOn(w.winners, 'find').mockImplementationOnce(async () => ({ ...old! }));
    jest.spyOn(w.campaigns, 'findById').mockImplementationOnce(async () => ({ ...campaign }));
    expect(await issue.execute('c', alice, { run: 0, told })).toBe('superseded');
    expect(w.vouchers.vouchers).toEqual(current);
  });

  test('a pass removes at most ORPHAN_VOUCHERS_PER_PASS vouchers without a winner, the next pass the rest', async () => {
    await w.saveCampaign.execute('c', { limit: 2, startsAt: w.clock.now() });
    const at = w.clock.now();
    for (let i = 0; i < ORPHAN_VOUCHERS_PER_PASS + 7; i += 1) {
      const base = { code: `x${i}`, userId: `nobody${i}`, campaignId: 'c', discount: 30, description: 'd' };
      await w.vouchers.insert({ ...base, expireDate: at, voucherType: 'T', createdAt: at });
    }
    expect(await w.reconcile.execute('c')).toMatchObject({ orphanVouchersRemoved: ORPHAN_VOUCHERS_PER_PASS });
    expect(await w.reconcile.execute('c')).toMatchObject({ orphanVouchersRemoved: 7 });
    expect(w.vouchers.vouchers).toEqual([]);
  });

  test("a pass that read before a reset raises no counter after it: the new run is not full of the old run's slots", async () => {
    await aliceWonThenEnded(1);
    const raise = w.slots.raiseCounter.bind(w.slots);
    jest.spyOn(w.slots, 'raiseCounter').mockImplementationOnce(async (...args) => {
      // The pass has read the old run (alice in slot 1) and reaches its raise after the operator's reset.
      await resetOf(w).execute('c', 'ops');
      await w.saveCampaign.execute('c', { endsAt: null });
      return raise(...args);
    });
    await w.reconcile.execute('c');
    expect(await w.slots.readCounter('c')).toBe(0);
    expect((await login('bob', 'c')).campaigns[0]).toMatchObject({ outcome: 'won', slot: 1 });
  });

  test("a pass that saw an old run's hole frees no slot of the new run: a claim under way keeps its slot", async () => {
    await w.saveCampaign.execute('c', { limit: 2, startsAt: w.clock.now() });
    await login('alice', 'c');
    await w.slots.raiseCounter('c', 2); // slot 2 handed out, never held or recorded: a hole
    await w.reconcile.execute('c');
    w.advance(30_000); // past the grace period: the next pass frees it
    const free = w.slots.freeSlots.bind(w.slots);
    jest.spyOn(w.slots, 'freeSlots').mockImplementationOnce(async (...args) => {
      // The pass read the old run; before its free list lands, the operator resets and reopens, and the new
      // run's claims hold slots 1 and 2.
      await endResetReopen(w);
      await w.slots.claim('c', 'bob');
      await w.slots.claim('c', 'carol');
      return free(...args);
    });
    expect(await w.reconcile.execute('c')).toMatchObject({ slotsFreed: 0 });
    expect((await w.slots.snapshot('c')).free).toEqual([]);
  });

  test("a pass that read an old run's winner gives them no slot of the new run after a reset", async () => {
    await w.saveCampaign.execute('c', { limit: 1, startsAt: w.clock.now() });
    await login('alice', 'c');
    w.slots.campaigns.get('c')?.slots.clear(); // Redis lost the slot map: the pass restores alice's entry
    const restore = w.slots.restoreHolders.bind(w.slots);
    jest.spyOn(w.slots, 'restoreHolders').mockImplementationOnce(async (...args) => {
      await endResetReopen(w); // between the pass's read of the old run and its restore
      return restore(...args);
    });
    await w.reconcile.execute('c');
    // Bob's claim of the new run's one slot is under way when alice logs in: she is not "held" in it ahead of him.
    expect(await w.slots.claim('c', 'bob')).toMatchObject({ kind: 'won', slot: 1 });
    expect((await login('alice', 'c')).campaigns[0]).toMatchObject({ outcome: 'full' });
    expect(w.winners.winners).toEqual([]);
  });

  test('a record of an ended run is not answered already_won after the end either', async () => {
    await aliceWonThenEnded(2);
    expect((await login('alice', 'c')).campaigns[0]?.outcome).toBe('already_won');
    const [record] = w.winners.winners;
    await resetOf(w).execute('c', 'ops');
    if (record !== undefined) w.winners.winners.push(record); // as if its insert had landed after the delete
    expect((await login('alice', 'c')).campaigns[0]?.outcome).toBe('not_active');
  });

  test('a slot the counter handed out before the reset is recorded in no run, though the claim reads the new one', async () => {
    // The outside attack's second case: alice's slot comes from the old counter; her claim reads the
    // campaign only after it was ended, reset and opened again, so it sees the new run, running.
    await w.saveCampaign.execute('c', { limit: 2, startsAt: w.clock.now() });
    const findById = w.campaigns.findById.bind(w.campaigns);
    const claim = w.slots.claim.bind(w.slots);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let reading = false;
    jest.spyOn(w.slots, 'claim').mockImplementationOnce(async (campaignId, userId) => {
      const slot = await claim(campaignId, userId);
      jest.spyOn(w.campaigns, 'findById').mockImplementationOnce(async (id) => {
        reading = true;
        await released;
        return findById(id);
      });
      return slot;
    });
    const alices = login('alice', 'c');
    await until(() => reading);
    await endResetReopen(w);
    release();
    expect((await alices).campaigns[0]).toMatchObject({ outcome: 'unavailable' });
    expect(w.winners.winners).toEqual([]);
    expect((await login('bob', 'c')).campaigns[0]).toMatchObject({ outcome: 'won', slot: 1 });
    expect((await login('alice', 'c')).campaigns[0]).toMatchObject({ outcome: 'won', slot: 2 });
    expect(w.winners.winners.map((x) => x.run)).toEqual([1, 1]);
  });

  test('no change lands while a reset is under way; a reset that stopped halfway is finished by running it again', async () => {
    await aliceWonThenEnded(2);
    // The reset stops after its first write and its deletes (the counter unreachable).
    jest.spyOn(w.slots, 'reset').mockRejectedValueOnce(new Error('redis down'));
    await expect(resetOf(w).execute('c', 'ops')).rejects.toThrow('redis down');
    expect(await w.campaigns.findById('c')).toMatchObject({ resetting: true, run: 1 });
    await expect(w.saveCampaign.execute('c', { endsAt: null })).rejects.toMatchObject({ code: 'CAMPAIGN_RESETTING' });
    await expect(w.saveCampaign.execute('c', { paused: true })).rejects.toMatchObject({ code: 'CAMPAIGN_RESETTING' });
    expect(await w.campaigns.findById('c')).toMatchObject({ resetting: true, endsAt: expect.any(Date) });
    // Another reset waits while this one may still be under way, then takes over.
    await expect(resetOf(w).execute('c', 'ops')).rejects.toMatchObject({ code: 'CAMPAIGN_RESETTING' });
    expect(await w.campaigns.findById('c')).toMatchObject({ resetting: true, run: 1 });
    w.advance(RESET_TAKEOVER_MS);

    expect(await resetOf(w).execute('c', 'ops')).toEqual({ winners: 0, vouchers: 0, participations: 0 });
    const after = await w.campaigns.findById('c');
    expect(after).toMatchObject({ resetting: false, run: 2 });
    expect(after?.runSince).toBe((after?.version ?? 0) - 1);
    await w.saveCampaign.execute('c', { endsAt: null });
    expect((await login('alice', 'c')).campaigns[0]).toMatchObject({ outcome: 'won', slot: 1 });
  });

  test('a campaign that has not ended is not reset: it could start while the reset deletes', async () => {
    await w.saveCampaign.execute('c', { limit: 2, startsAt: w.clock.now() });
    await login('alice', 'c');
    const before = await w.campaigns.findById('c');
    // Rescheduled to start in half a second, without an end: not running, not ended either.
    await w.saveCampaign.execute('c', { startsAt: new Date(w.clock.now().getTime() + 500) });
    await expect(resetOf(w).execute('c', 'ops')).rejects.toMatchObject({ code: 'CAMPAIGN_NOT_ENDED' });
    await w.saveCampaign.execute('c', { endsAt: new Date(w.clock.now().getTime() + 60_000) });
    await expect(resetOf(w).execute('c', 'ops')).rejects.toMatchObject({ code: 'CAMPAIGN_NOT_ENDED' });
    expect(await w.campaigns.findById('c')).toMatchObject({ run: before?.run, resetting: false });
    expect(w.winners.winners).toHaveLength(1);
  });

  test('the counter comes out of a reset empty, even of a slot handed out between its zeroing and its settings', async () => {
    await aliceWonThenEnded(3);
    const reset = w.slots.reset.bind(w.slots);
    jest.spyOn(w.slots, 'reset').mockImplementationOnce(async (campaignId) => {
      await reset(campaignId);
      // A slot the zeroed counter hands out under the old settings (here put there directly).
      await w.slots.restoreHolders(campaignId, [{ userId: 'zed', slot: 1 }]);
      await w.slots.raiseCounter(campaignId, 1);
    });
    await resetOf(w).execute('c', 'ops');
    const after = await w.slots.snapshot('c');
    expect({ counter: after.counter, holders: after.holders.size, free: after.free }).toEqual({
      counter: 0,
      holders: 0,
      free: [],
    });
  });

  test('a reset refuses, changing nothing, when the campaign was saved since it was read', async () => {
    await aliceWonThenEnded(2);
    const findById = w.campaigns.findById.bind(w.campaigns);
    jest.spyOn(w.campaigns, 'findById').mockImplementationOnce(async (id) => {
      const read = await findById(id);
      await w.saveCampaign.execute('c', { name: 'renamed meanwhile' });
      return read;
    });
    await expect(resetOf(w).execute('c', 'ops')).rejects.toMatchObject({ code: 'CAMPAIGN_CHANGED' });
    expect(w.winners.winners).toHaveLength(1);
    expect(await w.campaigns.findById('c')).toMatchObject({ name: 'renamed meanwhile', run: 0 });
  });
});

/**
 * The removed record's voucher was asked for beside the run check (one request, of run 0), and its job
 * finds the new run and writes nothing.
 */
async function asked0JobWritesNothing(): Promise<void> {
  expect([...w.voucherQueue.requests]).toEqual([`c\u0000${alice}`]);
  const issue = new IssueVoucher(w.winners, w.campaigns, w.vouchers, w.clock);
  await expect(issue.execute('c', alice)).rejects.toMatchObject({ code: 'WINNER_NOT_FOUND' });
  expect(w.vouchers.vouchers).toEqual([]);
}

/** Waits by condition, not by time; the deadline only ends a test whose condition never comes. */
async function until(condition: () => boolean): Promise<void> {
  for (const started = Date.now(); !condition(); await new Promise((resolve) => setTimeout(resolve, 1))) {
    if (Date.now() - started > 10_000) throw new Error('condition not reached within 10 s');
  }
}

describe('decided at once: the sold-out path without waiting', () => {
  let v: UnitWorld;
  let cache: CachedCampaignStore;
  beforeEach(async () => {
    v = unitWorld({
      soldOutView: (slots) => new InMemorySoldOutView(slots),
      campaignCache: (campaigns) => (cache = new CachedCampaignStore(campaigns, 60_000)),
    });
    await v.saveCampaign.execute('c', { limit: 1, startsAt: v.clock.now() });
  });
  const byToken = (userId: string, campaignId: string | undefined = 'c'): LoginToCampaignInput => ({
    credentials: { kind: 'token', token: `token-for.${userId}` },
    campaignId,
    clientIp: '203.0.113.7',
  });
  /** Fills the campaign (u1 wins) and lets the view learn it is full (u2 hears full). */
  const fill = async () => {
    await cache.findById('c');
    expect((await v.login.execute(byToken('u1'))).campaigns[0]?.outcome).toBe('won');
    expect((await v.login.execute(byToken('u2'))).campaigns[0]?.outcome).toBe('full');
  };

  test('answers a known-full, cached campaign exactly as execute does, counting the attempt once', async () => {
    await fill();
    const counted = v.throttle.events.length;
    const atOnce = v.login.decideAtOnce(byToken('u3'));
    const executed = await v.login.execute(byToken('u4'));
    expect(executed.campaigns[0]?.outcome).toBe('full');
    expect(atOnce).toEqual({ ...executed, userId: 'u3' });
    expect(v.throttle.events.slice(counted)).toEqual(['admit token u3 203.0.113.7', 'admit token u4 203.0.113.7']);
    await v.lateParticipants.flush();
    expect(await v.participations.count('c')).toBe(4); // u3 recorded too, in the batch
  });

  test('gives way, having counted nothing, whenever it does not know for certain', async () => {
    expect(v.login.decideAtOnce(byToken('u1'))).toBeUndefined(); // the campaign not cached
    await fill();
    const counted = v.throttle.events.length;
    expect(v.login.decideAtOnce(byToken('u1'))).toBeUndefined(); // the winner: execute says already_won
    expect(v.login.decideAtOnce({ ...byToken('u3'), campaignId: undefined })).toBeUndefined(); // no campaign named
    expect(v.login.decideAtOnce(byToken('u3', 'other'))).toBeUndefined(); // a campaign never read
    const password: LoginToCampaignInput = {
      credentials: { kind: 'password', account: 'alice', password: 'pw' },
      campaignId: 'c',
      clientIp: '203.0.113.7',
    };
    expect(v.login.decideAtOnce(password)).toBeUndefined();
    await v.saveCampaign.execute('c', { limit: 2 }); // a raise: the view is no longer certain
    expect(v.login.decideAtOnce(byToken('u3'))).toBeUndefined();
    expect(v.throttle.events.slice(counted)).toEqual([]);
    expect((await v.login.execute(byToken('u3'))).campaigns[0]).toMatchObject({ outcome: 'won', slot: 2 });
  });

  test('a paused or ended campaign is never answered full at once', async () => {
    await fill();
    await v.saveCampaign.execute('c', { paused: true });
    expect(v.login.decideAtOnce(byToken('u3'))).toBeUndefined();
    expect((await v.login.execute(byToken('u3'))).campaigns[0]?.outcome).toBe('paused');
    await v.saveCampaign.execute('c', { paused: false });
    expect((await v.login.execute(byToken('u4'))).campaigns[0]?.outcome).toBe('full'); // learned again
    expect(v.login.decideAtOnce(byToken('u5'))?.campaigns[0]?.outcome).toBe('full');
    v.advance(365 * 86_400_000); // past any end the cached copy might name: still decided by the window
    await v.saveCampaign.execute('c', { endsAt: new Date(v.clock.now().getTime() - 1) });
    cache.invalidate();
    await cache.findById('c');
    expect(v.login.decideAtOnce(byToken('u6'))).toBeUndefined();
  });

  test('an invalid token is refused at once with the error execute gives', async () => {
    await fill();
    const refusal = (() => {
      try {
        v.login.decideAtOnce({ ...byToken('u3'), credentials: { kind: 'token', token: 'forged' } });
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(refusal).toBeInstanceOf(AppError);
    expect((refusal as AppError).code).toBe('INVALID_TOKEN');
    await expect(
      v.login.execute({ ...byToken('u3'), credentials: { kind: 'token', token: 'forged' } }),
    ).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
  });
});

describe('a slot holder answered 503 is followed up', () => {
  // The follow-ups run 5, 10 and 20 ms apart here (unit-world); waiting is by condition, not by time.
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const eventually = async (done: () => boolean) => {
    for (const started = Date.now(); !done(); await sleep(5)) {
      if (Date.now() - started > 5_000) throw new Error('not within 5 s');
    }
  };

  test('the winner is recorded and the voucher queued without the user trying again', async () => {
    await w.saveCampaign.execute('c', { limit: 2, startsAt: w.clock.now() });
    jest.spyOn(w.winners, 'record').mockRejectedValueOnce(new Error('operation timed out'));
    const answered = await login('alice', 'c');
    expect(answered.campaigns[0]).toMatchObject({ outcome: 'unavailable', errorCode: 'SERVICE_UNAVAILABLE' });
    expect(w.winners.winners).toHaveLength(0);
    await eventually(() => w.voucherQueue.requests.size === 1);
    expect(w.winners.winners).toEqual([expect.objectContaining({ campaignId: 'c', userId: alice, slot: 1 })]);
    expect(w.voucherQueue.requests.size).toBe(1);
    expect((await login('alice', 'c')).campaigns[0]).toMatchObject({ outcome: 'already_won', slot: 1 });
    expect(await w.slots.inspect('c')).toMatchObject({ counter: 1 });
  });

  test('a write that landed although it timed out is found, not written twice', async () => {
    await w.saveCampaign.execute('c', { limit: 2, startsAt: w.clock.now() });
    const record = w.winners.record.bind(w.winners);
    jest.spyOn(w.winners, 'record').mockImplementationOnce(async (winner) => {
      await record(winner); // the database took it; the answer was lost
      throw new Error('operation timed out');
    });
    expect((await login('alice', 'c')).campaigns[0]?.outcome).toBe('unavailable');
    await eventually(() => w.voucherQueue.requests.size === 1);
    expect(w.winners.winners).toHaveLength(1);
  });

  test('a campaign paused meanwhile gets no winner from it: the slot is given up', async () => {
    await w.saveCampaign.execute('c', { limit: 2, startsAt: w.clock.now() });
    jest.spyOn(w.winners, 'record').mockImplementationOnce(async () => {
      await w.saveCampaign.execute('c', { paused: true }); // lands while the write is under way
      throw new Error('operation timed out');
    });
    const claims = jest.spyOn(w.slots, 'claim');
    expect((await login('alice', 'c')).campaigns[0]?.outcome).toBe('unavailable');
    await eventually(() => claims.mock.calls.length === 2); // the login's, then the follow-up's
    await sleep(50);
    expect(w.winners.winners).toHaveLength(0);
    expect(w.voucherQueue.requests.size).toBe(0);
  });

  test('a slot no longer held (the campaign reset and opened again meanwhile) is not replaced by another', async () => {
    await w.saveCampaign.execute('c', { limit: 2, startsAt: w.clock.now() });
    jest.spyOn(w.winners, 'record').mockImplementationOnce(async () => {
      // While the write is under way, an operator ends the campaign, resets it and opens it again.
      await endResetReopen(w);
      throw new Error('operation timed out');
    });
    const claims = jest.spyOn(w.slots, 'claim');
    expect((await login('alice', 'c')).campaigns[0]?.outcome).toBe('unavailable');
    await eventually(() => claims.mock.calls.length === 2); // the login's, then the follow-up's
    await sleep(50);
    expect(w.winners.winners).toHaveLength(0);
    expect((await login('bob', 'c')).campaigns[0]).toMatchObject({ outcome: 'won', slot: 1 }); // slot 1 went back
  });

  test("a follow-up whose insert lands after a reset's delete records no winner of the new run", async () => {
    // The outside attack's case: end, reset and reopen timed between the follow-up's read and its insert.
    await w.saveCampaign.execute('c', { limit: 2, startsAt: w.clock.now() });
    const record = w.winners.record.bind(w.winners);
    const spy = jest
      .spyOn(w.winners, 'record')
      .mockRejectedValueOnce(new Error('operation timed out'))
      .mockImplementationOnce(async (winner) => {
        await endResetReopen(w);
        return record(winner); // the follow-up's insert, landing after the reset's delete
      });
    expect((await login('alice', 'c')).campaigns[0]?.outcome).toBe('unavailable');
    await eventually(() => spy.mock.calls.length === 2);
    await sleep(50);
    expect(w.winners.winners).toHaveLength(0);
    await asked0JobWritesNothing();
    expect((await login('bob', 'c')).campaigns[0]).toMatchObject({ outcome: 'won', slot: 1 });
    expect((await login('alice', 'c')).campaigns[0]).toMatchObject({ outcome: 'won', slot: 2 });
    expect(w.winners.winners.map((x) => x.run)).toEqual([1, 1]);
  });

  test('it gives up after three tries, leaving the slot to reconciliation', async () => {
    await w.saveCampaign.execute('c', { limit: 2, startsAt: w.clock.now() });
    const record = jest.spyOn(w.winners, 'record').mockRejectedValue(new Error('database down'));
    expect((await login('alice', 'c')).campaigns[0]?.outcome).toBe('unavailable');
    await eventually(() => record.mock.calls.length === 4); // the login, then three follow-ups
    await sleep(100);
    expect(record).toHaveBeenCalledTimes(4);
    expect(await w.slots.inspect('c')).toMatchObject({ counter: 1 }); // still held
  });

  test("a user's failing retries start no second follow-up", async () => {
    await w.saveCampaign.execute('c', { limit: 2, startsAt: w.clock.now() });
    const record = jest.spyOn(w.winners, 'record').mockRejectedValue(new Error('database down'));
    // Token logins decide without leaving this turn of the event loop: all three fail before any follow-up.
    const byToken = () =>
      w.login.execute({
        credentials: { kind: 'token', token: `token-for.${alice}` },
        campaignId: 'c',
        clientIp: '::1',
      });
    const answers = await Promise.all([byToken(), byToken(), byToken()]);
    expect(answers.map((a) => a.campaigns[0]?.outcome)).toEqual(['unavailable', 'unavailable', 'unavailable']);
    await eventually(() => record.mock.calls.length === 6); // three logins, then one follow-up's three tries
    await sleep(100);
    expect(record).toHaveBeenCalledTimes(6);
  });

  test('close stops the follow-ups not yet started', async () => {
    await w.saveCampaign.execute('c', { limit: 2, startsAt: w.clock.now() });
    const record = jest.spyOn(w.winners, 'record').mockRejectedValueOnce(new Error('operation timed out'));
    expect((await login('alice', 'c')).campaigns[0]?.outcome).toBe('unavailable');
    w.claimer.close();
    await sleep(50);
    expect(record).toHaveBeenCalledTimes(1);
    expect(w.winners.winners).toHaveLength(0);
  });
});
