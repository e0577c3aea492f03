import type { Winner } from '../../src/domain/slot';
import type { Voucher } from '../../src/domain/voucher';
import type { CampaignStore } from '../../src/ports/campaign-store.port';
import type { ParticipationStore } from '../../src/ports/participation-store.port';
import type { UserDirectory } from '../../src/ports/user-directory.port';
import type { VoucherStore } from '../../src/ports/voucher-store.port';
import type { WinnerStore } from '../../src/ports/winner-store.port';
import { campaignFixture } from '../support/fixtures';

export interface StoreSubjects {
  participations: ParticipationStore;
  winners: WinnerStore;
  vouchers: VoucherStore;
  campaigns: CampaignStore;
  users: UserDirectory;
}

const at = (iso: string) => new Date(iso);
const winner = (
  campaignId: string,
  userId: string,
  slot: number,
  createdAt = at('2026-01-01T00:00:00Z'),
  run = 0,
): Winner => ({
  campaignId,
  userId,
  slot,
  voucherCode: `code-${campaignId}-${userId}`,
  createdAt,
  run,
});
const voucher = (campaignId: string, userId: string): Voucher => ({
  code: `code-${campaignId}-${userId}`,
  userId,
  campaignId,
  discount: 30,
  description: 'd',
  expireDate: at('2027-01-01T00:00:00Z'),
  voucherType: 'T',
  createdAt: at('2026-01-01T00:00:00Z'),
});
const campaign = (id: string, startsAt: Date, endsAt: Date | null) => campaignFixture(id, { startsAt, endsAt });

/** What every database-side store must do; run against the in-memory fakes and the MongoDB adapters. */
export function storesContract(name: string, subjects: () => StoreSubjects): void {
  describe(`store contracts: ${name}`, () => {
    let s: StoreSubjects;
    let n = 0;
    let id: string;
    beforeEach(() => {
      s = subjects();
      id = `c${++n}`;
    });

    test('ParticipationStore: first, then repeat; batches skip what is already there', async () => {
      expect(await s.participations.record(id, 'u1', new Date())).toBe('first');
      expect(await s.participations.record(id, 'u1', new Date())).toBe('repeat');
      const batch = ['u1', 'u2', 'u3', 'u2'].map((userId) => ({ campaignId: id, userId, at: new Date() }));
      expect(await s.participations.recordMany(batch)).toBe(2);
      expect(await s.participations.record(id, 'u3', new Date())).toBe('repeat');
      expect(await s.participations.recordMany([])).toBe(0);
      expect(await s.participations.count(id)).toBe(3);
    });

    test('WinnerStore: one winner per user and per slot, and it says which rule refused', async () => {
      expect(await s.winners.record(winner(id, 'a', 1))).toEqual({ kind: 'recorded' });
      expect(await s.winners.record(winner(id, 'a', 2))).toEqual({
        kind: 'user_already_won',
        winner: winner(id, 'a', 1),
      });
      expect(await s.winners.record(winner(id, 'b', 1))).toEqual({ kind: 'slot_taken' });
      expect(await s.winners.record(winner(`${id}-other`, 'b', 1))).toEqual({ kind: 'recorded' });
      expect(await s.winners.find(id, 'a')).toEqual(winner(id, 'a', 1));
      expect(await s.winners.find(id, 'b')).toBeNull();
      expect(await s.winners.count(id)).toBe(1);
      expect(await s.winners.maxSlot(`${id}-none`)).toBe(0);
      expect(await s.winners.listByCampaign(id)).toEqual([winner(id, 'a', 1)]);
      await s.winners.record(winner(id, 'c', 2));
      await s.winners.record(winner(id, 'd', 3));
      const batches: number[][] = [];
      for await (const batch of s.winners.streamByCampaign(id, 2)) batches.push(batch.map((w) => w.slot));
      expect(batches).toEqual([[1, 2], [3]]);
      expect(await s.winners.maxSlot(id)).toBe(3);
    });

    test('WinnerStore: concurrent inserts for one slot let exactly one through', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.winners.record(winner(id, `u${i}`, 7))));
      expect(results.filter((r) => r.kind === 'recorded')).toHaveLength(1);
      expect(results.filter((r) => r.kind === 'slot_taken')).toHaveLength(19);
    });

    test('WinnerStore: a record keeps its run; deleteOfRun removes it only in that run', async () => {
      await s.winners.record(winner(id, 'r', 4, at('2026-01-01T00:00:00Z'), 2));
      expect(await s.winners.find(id, 'r')).toEqual(winner(id, 'r', 4, at('2026-01-01T00:00:00Z'), 2));
      expect(await s.winners.deleteOfRun(id, 'r', 1)).toBe(false);
      expect(await s.winners.deleteOfRun(id, 'r', 3)).toBe(false);
      expect(await s.winners.deleteOfRun(`${id}-other`, 'r', 2)).toBe(false);
      expect(await s.winners.find(id, 'r')).not.toBeNull();
      expect(await s.winners.deleteOfRun(id, 'r', 2)).toBe(true);
      expect(await s.winners.find(id, 'r')).toBeNull();
      expect(await s.winners.deleteOfRun(id, 'r', 2)).toBe(false);
      await s.winners.record(winner(id, 'zero', 5));
      expect(await s.winners.deleteOfRun(id, 'zero', 0)).toBe(true);
      expect(await s.winners.count(id)).toBe(0);
    });

    test('WinnerStore: a pending record is settled or removed, whichever comes first; a settled one stays', async () => {
      const pending = (userId: string, slot: number, run = 1): Winner => ({
        ...winner(id, userId, slot),
        run,
        pending: true,
      });
      const p = pending('p', 1);
      await s.winners.record(p);
      expect(await s.winners.find(id, 'p')).toEqual(p);
      expect(await s.winners.listByCampaign(id)).toEqual([p]);
      expect(await s.winners.settle({ ...p, run: 2 })).toBe(false); // another run's record is not this one
      expect(await s.winners.settle(p)).toBe(true);
      expect(await s.winners.find(id, 'p')).toEqual({ ...winner(id, 'p', 1), run: 1 });
      expect(await s.winners.settle(p)).toBe(true); // settled already: still stands
      expect(await s.winners.removePending(p)).toBe(false); // settled: never removed this way
      expect(await s.winners.count(id)).toBe(1);

      const q = pending('q', 2);
      await s.winners.record(q);
      expect(await s.winners.removePending({ ...q, run: 2 })).toBe(false);
      expect(await s.winners.removePending(q)).toBe(true);
      expect(await s.winners.find(id, 'q')).toBeNull();
      expect(await s.winners.settle(q)).toBe(false); // removed first: nothing to settle
      expect(await s.winners.removePending(q)).toBe(false);
      expect(await s.winners.count(id)).toBe(1);
    });

    test('WinnerStore: settle and removePending name one record: the same user winning again since is another', async () => {
      const first = { ...winner(id, 'r', 3, at('2026-01-01T00:00:00Z')), run: 1, pending: true as const };
      await s.winners.record(first);
      expect(await s.winners.removePending(first)).toBe(true);
      // The user wins again, another slot, and that record is settled by its own claim.
      const again = { ...winner(id, 'r', 4, at('2026-01-01T00:00:05Z')), run: 1, pending: true as const };
      await s.winners.record(again);
      expect(await s.winners.settle(again)).toBe(true);
      // The first claim's late checks see their own record gone, not the new one.
      expect(await s.winners.settle(first)).toBe(false);
      expect(await s.winners.removePending(first)).toBe(false);
      const sameSlotLater = { ...first, createdAt: at('2026-01-01T00:00:09Z') };
      expect(await s.winners.settle(sameSlotLater)).toBe(false);
      expect(await s.winners.find(id, 'r')).toEqual({ ...winner(id, 'r', 4, at('2026-01-01T00:00:05Z')), run: 1 });
    });

    test('WinnerStore: lists a user’s wins newest first', async () => {
      await s.winners.record(winner(`${id}-x`, 'lister', 1, at('2026-01-01T00:00:00Z')));
      await s.winners.record(winner(`${id}-y`, 'lister', 1, at('2026-02-01T00:00:00Z')));
      expect((await s.winners.listByUser('lister')).map((w) => w.campaignId)).toEqual([`${id}-y`, `${id}-x`]);
    });

    test('VoucherStore: one voucher per (campaign, user); a second insert reports exists', async () => {
      expect(await s.vouchers.insert(voucher(id, 'a'))).toBe('created');
      expect(await s.vouchers.insert(voucher(id, 'a'))).toBe('exists');
      expect(await s.vouchers.insert(voucher(id, 'b'))).toBe('created');
      expect(await s.vouchers.count(id)).toBe(2);
      expect(await s.vouchers.listByUser('a')).toEqual([voucher(id, 'a')]);
      expect(await s.vouchers.heldByCampaign(id)).toEqual(
        new Map([
          ['a', voucher(id, 'a').expireDate],
          ['b', voucher(id, 'b').expireDate],
        ]),
      );
      expect(await s.vouchers.findForUsers(id, ['b', 'z'])).toEqual([voucher(id, 'b')]);
    });

    test('VoucherStore: insertMany tells each voucher’s outcome, in order, a duplicate in the batch too', async () => {
      expect(await s.vouchers.insertMany([])).toEqual([]);
      await s.vouchers.insert(voucher(id, 'a'));
      const other = { ...voucher(id, 'b'), discount: 10 };
      expect(
        await s.vouchers.insertMany([
          voucher(id, 'b'),
          voucher(id, 'a'),
          voucher(`${id}-x`, 'a'),
          other,
          voucher(id, 'c'),
        ]),
      ).toEqual(['created', 'exists', 'created', 'exists', 'created']);
      expect(await s.vouchers.findForUsers(id, ['a', 'b', 'c'])).toEqual(
        expect.arrayContaining([voucher(id, 'a'), voucher(id, 'b'), voucher(id, 'c')]),
      );
      expect(await s.vouchers.count(id)).toBe(3);
      expect(await s.vouchers.count(`${id}-x`)).toBe(1);
    });

    test('VoucherStore: deleteOne removes that user’s voucher of that campaign only', async () => {
      await s.vouchers.insert(voucher(id, 'a'));
      await s.vouchers.insert(voucher(id, 'b'));
      await s.vouchers.insert(voucher(`${id}-keep`, 'a'));
      expect(await s.vouchers.deleteOne(id, 'a')).toBe(true);
      expect(await s.vouchers.deleteOne(id, 'a')).toBe(false);
      expect([...(await s.vouchers.heldByCampaign(id)).keys()]).toEqual(['b']);
      expect(await s.vouchers.count(`${id}-keep`)).toBe(1);
    });

    test('VoucherStore: deleteOne with an expiry removes only a voucher expiring then', async () => {
      const stored = voucher(id, 'a');
      await s.vouchers.insert(stored);
      expect(await s.vouchers.deleteOne(id, 'a', { expireDate: new Date(stored.expireDate.getTime() + 1) })).toBe(
        false,
      );
      expect(await s.vouchers.count(id)).toBe(1);
      expect(await s.vouchers.deleteOne(id, 'a', { expireDate: new Date(stored.expireDate.getTime()) })).toBe(true);
      expect(await s.vouchers.count(id)).toBe(0);
    });

    test('VoucherStore: deleteOne written no later than a moment removes only a voucher written by then', async () => {
      const stored = voucher(id, 'a');
      await s.vouchers.insert(stored);
      const by = (ms: number) => ({ writtenNoLaterThan: new Date(stored.createdAt.getTime() + ms) });
      expect(await s.vouchers.deleteOne(id, 'a', by(-1))).toBe(false);
      expect(await s.vouchers.deleteOne(id, 'a', { ...by(0), expireDate: new Date(0) })).toBe(false); // both must hold
      expect(await s.vouchers.count(id)).toBe(1);
      expect(await s.vouchers.deleteOne(id, 'a', by(0))).toBe(true);
      expect(await s.vouchers.count(id)).toBe(0);
    });

    test('deleteCampaign removes one campaign’s records and no other’s', async () => {
      await s.participations.record(id, 'a', new Date());
      await s.participations.record(`${id}-keep`, 'a', new Date());
      await s.winners.record(winner(id, 'a', 1));
      await s.winners.record(winner(id, 'b', 2));
      await s.winners.record(winner(`${id}-keep`, 'a', 1));
      await s.vouchers.insert(voucher(id, 'a'));
      await s.vouchers.insert(voucher(`${id}-keep`, 'a'));
      expect(await s.winners.deleteCampaign(id)).toBe(2);
      expect(await s.vouchers.deleteCampaign(id)).toBe(1);
      expect(await s.participations.deleteCampaign(id, new Date())).toBe(1);
      expect(await s.winners.count(id)).toBe(0);
      expect(await s.winners.count(`${id}-keep`)).toBe(1);
      expect(await s.vouchers.count(`${id}-keep`)).toBe(1);
      expect(await s.participations.record(`${id}-keep`, 'a', new Date())).toBe('repeat');
      expect(await s.participations.record(id, 'a', new Date())).toBe('first');
    });

    test('ParticipationStore: logins made before a reset and written after it stay deleted', async () => {
      const during = at('2026-06-01T10:00:00Z');
      await s.participations.recordMany([{ campaignId: id, userId: 'a', at: during }]);
      expect(await s.participations.deleteCampaign(id, at('2026-06-01T12:00:00Z'))).toBe(1);
      // A batch buffered while the reset ran, and one made after it (the campaign runs again).
      const late = [
        { campaignId: id, userId: 'b', at: during },
        { campaignId: `${id}-keep`, userId: 'b', at: during },
        { campaignId: id, userId: 'c', at: at('2026-06-01T12:00:01Z') },
      ];
      expect(await s.participations.recordMany(late)).toBe(2);
      expect(await s.participations.count(id)).toBe(1);
      expect(await s.participations.count(`${id}-keep`)).toBe(1);
      expect(await s.participations.record(id, 'c', new Date())).toBe('repeat');
    });

    test('ParticipationStore: a late batch also removes rows an earlier, timed-out try landed after a reset', async () => {
      const during = at('2026-06-01T10:00:00Z');
      await s.participations.deleteCampaign(id, at('2026-06-01T12:00:00Z'));
      await s.participations.record(id, 'ghost', during); // the earlier try, completed after the reset's delete
      expect(await s.participations.recordMany([{ campaignId: id, userId: 'ghost', at: during }])).toBe(0);
      expect(await s.participations.count(id)).toBe(0);
    });

    test('CampaignStore: saves, replaces, and lists what runs now', async () => {
      const now = at('2026-06-01T00:00:00Z');
      const open = campaign(`${id}-open`, at('2026-05-01T00:00:00Z'), null);
      expect(await s.campaigns.save(open, null)).toBe('saved');
      await s.campaigns.save(campaign(`${id}-ended`, at('2026-04-01T00:00:00Z'), at('2026-05-01T00:00:00Z')), null);
      await s.campaigns.save(campaign(`${id}-future`, at('2026-07-01T00:00:00Z'), null), null);
      expect(await s.campaigns.save({ ...open, limit: 99, version: 2 }, 1)).toBe('saved');
      expect((await s.campaigns.findById(`${id}-open`))?.limit).toBe(99);
      expect(await s.campaigns.findById(`${id}-missing`)).toBeNull();
      const running = (await s.campaigns.listRunning(now)).map((c) => c.id).filter((c) => c.startsWith(`${id}-`));
      expect(running).toEqual([`${id}-open`]);
      expect((await s.campaigns.list()).map((c) => c.id)).toEqual(
        expect.arrayContaining([`${id}-open`, `${id}-ended`, `${id}-future`]),
      );
    });

    test('CampaignStore: a save is a compare-and-set on the version; the loser changes nothing', async () => {
      const first = campaign(`${id}-cas`, at('2026-05-01T00:00:00Z'), null);
      expect(await s.campaigns.save(first, null)).toBe('saved');
      expect(await s.campaigns.save({ ...first, name: 'again' }, null)).toBe('conflict'); // exists already
      expect(await s.campaigns.save({ ...first, limit: 20, version: 2 }, 1)).toBe('saved');
      expect(await s.campaigns.save({ ...first, limit: 30, version: 2 }, 1)).toBe('conflict'); // 1 is gone
      expect(await s.campaigns.findById(`${id}-cas`)).toMatchObject({ limit: 20, version: 2, run: 0 });
      expect(await s.campaigns.save({ ...first, limit: 20, version: 3, run: 1 }, 2)).toBe('saved');
      expect(await s.campaigns.save({ ...first, limit: 30, version: 3, run: 0 }, 2)).toBe('conflict');
      expect(await s.campaigns.findById(`${id}-cas`)).toMatchObject({ limit: 20, version: 3, run: 1 });
      const racers = await Promise.all(
        [40, 50, 60].map((limit) => s.campaigns.save({ ...first, limit, version: 4 }, 3)),
      );
      expect(racers.filter((r) => r === 'saved')).toHaveLength(1);
      expect((await s.campaigns.findById(`${id}-cas`))?.version).toBe(4);
    });

    test('UserDirectory: creates once, keeps the userId when the password changes', async () => {
      expect(await s.users.upsertMany([{ account: `${id}@x`, passwordHash: 'h1' }])).toBe(1);
      const first = await s.users.findByAccount(`${id}@x`);
      expect(
        await s.users.upsertMany([
          { account: `${id}@x`, passwordHash: 'h2' },
          { account: `${id}@y`, passwordHash: 'h3' },
        ]),
      ).toBe(1);
      const second = await s.users.findByAccount(`${id}@x`);
      expect(second).toEqual({ userId: first?.userId, account: `${id}@x`, passwordHash: 'h2' });
      expect(await s.users.findByAccount(`${id}@nobody`)).toBeNull();
      const y = await s.users.findByAccount(`${id}@y`);
      expect(await s.users.accountsOf([first?.userId as string, y?.userId as string, 'nobody'])).toEqual(
        new Map([
          [first?.userId, `${id}@x`],
          [y?.userId, `${id}@y`],
        ]),
      );
    });

    test('UserDirectory: a hash is replaced only while it is the expected one; a sample of hashes', async () => {
      await s.users.upsertMany([
        { account: `${id}@r`, passwordHash: `old-${id}` },
        { account: `${id}@s`, passwordHash: `s-${id}` },
        { account: `${id}@t`, passwordHash: `t-${id}` },
      ]);
      const user = await s.users.findByAccount(`${id}@r`);
      const userId = user?.userId as string;
      expect(await s.users.replacePasswordHash(userId, 'not-the-hash', `lost-${id}`)).toBe(false);
      expect(await s.users.replacePasswordHash(userId, `old-${id}`, `new-${id}`)).toBe(true);
      expect((await s.users.findByAccount(`${id}@r`))?.passwordHash).toBe(`new-${id}`);
      expect(await s.users.replacePasswordHash(userId, `old-${id}`, `again-${id}`)).toBe(false);
      const sample = await s.users.samplePasswordHashes(3);
      expect(sample).toHaveLength(3);
      for (const hash of sample) expect(typeof hash).toBe('string');
      expect(await s.users.samplePasswordHashes(1)).toHaveLength(1);
    });
  });
}
