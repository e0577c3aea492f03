import { sharedVoucherInserts, sharedWinnerReads } from '../../src/adapters/memory/shared-voucher-job-rounds';
import type { Winner } from '../../src/domain/slot';
import type { Voucher } from '../../src/domain/voucher';
import { InMemoryVoucherStore, InMemoryWinnerStore } from '../support/fakes/in-memory-stores';

/** Calls held until released, oldest first, as a database round trip under load is. */
class Held {
  readonly begun: { what: string; release: (error?: Error) => void }[] = [];
  private answered = 0;

  hold<T>(what: string, answer: () => Promise<T>): Promise<T> {
    const snapshot = answer(); // what is stored when the round trip begins
    return new Promise((resolve, reject) => {
      this.begun.push({ what, release: (error) => (error === undefined ? resolve(snapshot) : reject(error)) });
    });
  }

  async answer(error?: Error): Promise<void> {
    const call = this.begun[this.answered++];
    if (call === undefined) throw new Error('nothing under way');
    call.release(error);
    for (let i = 0; i < 10; i += 1) await Promise.resolve();
  }
}

const winner = (campaignId: string, userId: string, slot: number): Winner => ({
  campaignId,
  userId,
  slot,
  voucherCode: `code-${userId}`,
  createdAt: new Date('2026-01-01T00:00:00Z'),
  run: 0,
});
const voucher = (campaignId: string, userId: string): Voucher => ({
  code: `code-${userId}`,
  userId,
  campaignId,
  discount: 30,
  description: 'd',
  expireDate: new Date('2027-01-01T00:00:00Z'),
  voucherType: 'T',
  createdAt: new Date('2026-01-01T00:00:00Z'),
});

describe('the winner reads of voucher jobs run at once', () => {
  let held: Held;
  let store: InMemoryWinnerStore;
  let reads: ReturnType<typeof sharedWinnerReads>;
  beforeEach(async () => {
    held = new Held();
    store = new InMemoryWinnerStore();
    await store.record(winner('c', 'a', 1));
    const findForUsers = store.findForUsers.bind(store);
    store.findForUsers = (campaignId, userIds) =>
      held.hold(`${campaignId}:${userIds.join(',')}`, () => findForUsers(campaignId, userIds));
    reads = sharedWinnerReads(store);
  });

  test('calls made while a read is under way share the next read, which sees what was written before it', async () => {
    const first = reads.find('c', 'a');
    await store.record(winner('c', 'b', 2)); // written while the first read is under way
    const during = [reads.find('c', 'b'), reads.find('c', 'z'), reads.find('c', 'b'), reads.find('other', 'a')];
    expect(held.begun.map((call) => call.what)).toEqual(['c:a', 'other:a']);

    await held.answer(); // c:a answers; the read for b, z begins
    expect(await first).toEqual(winner('c', 'a', 1));
    expect(held.begun.map((call) => call.what)).toEqual(['c:a', 'other:a', 'c:b,z']);
    await held.answer(); // other:a
    await held.answer(); // c:b,z
    const [b1, z, b2, other] = await Promise.all(during);
    expect(b1).toEqual(winner('c', 'b', 2));
    expect(b2).toEqual(b1);
    expect(b2).not.toBe(b1); // each caller its own copy
    expect(z).toBeNull();
    expect(other).toBeNull();
  });

  test('a failed read fails the calls it answers, and the next call reads afresh', async () => {
    const first = reads.find('c', 'a');
    const second = reads.find('c', 'a');
    await held.answer(new Error('database down'));
    await expect(first).rejects.toThrow('database down');
    await held.answer(new Error('still down'));
    await expect(second).rejects.toThrow('still down');
    const third = reads.find('c', 'a');
    await held.answer();
    expect(await third).toEqual(winner('c', 'a', 1));
  });
});

describe('the voucher inserts of voucher jobs run at once', () => {
  let held: Held;
  let store: InMemoryVoucherStore;
  let inserts: ReturnType<typeof sharedVoucherInserts>;
  beforeEach(() => {
    held = new Held();
    store = new InMemoryVoucherStore();
    const insertMany = store.insertMany.bind(store);
    store.insertMany = (vouchers) => held.hold(vouchers.map((v) => v.userId).join(','), () => insertMany(vouchers));
    inserts = sharedVoucherInserts(store);
  });

  test('inserts made meanwhile go in one round trip, each told its own outcome', async () => {
    const first = inserts.insert(voucher('c', 'a'));
    const during = [
      inserts.insert(voucher('c', 'b')),
      inserts.insert(voucher('c', 'a')),
      inserts.insert(voucher('c', 'b')),
      inserts.insert(voucher('c', 'd')),
    ];
    expect(held.begun.map((call) => call.what)).toEqual(['a']);
    await held.answer();
    expect(await first).toBe('created');
    expect(held.begun.map((call) => call.what)).toEqual(['a', 'b,a,b,d']);
    await held.answer();
    expect(await Promise.all(during)).toEqual(['created', 'exists', 'exists', 'created']);
    expect(await store.count('c')).toBe(3);
  });

  test('a refused round fails every insert in it', async () => {
    const first = inserts.insert(voucher('c', 'a'));
    const during = [inserts.insert(voucher('c', 'b')), inserts.insert(voucher('c', 'd'))];
    await held.answer();
    await first;
    await held.answer(new Error('timed out'));
    for (const insert of during) await expect(insert).rejects.toThrow('timed out');
  });
});
