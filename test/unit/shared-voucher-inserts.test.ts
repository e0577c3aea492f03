import { sharedVoucherInserts } from '../../src/adapters/memory/shared-voucher-inserts';
import type { Voucher } from '../../src/domain/voucher';
import { InMemoryVoucherStore } from '../support/fakes/in-memory-stores';

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
