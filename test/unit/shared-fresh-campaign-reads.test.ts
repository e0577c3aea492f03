import { SharedFreshCampaignReads } from '../../src/adapters/memory/shared-fresh-campaign-reads';
import type { Campaign } from '../../src/domain/campaign';
import { InMemoryCampaignStore } from '../support/fakes/in-memory-stores';
import { campaignFixture } from '../support/fixtures';

/**
 * A store whose reads take what is stored when they begin and answer when released, as a database read
 * under load does: a change saved while a read is under way is not in its answer.
 */
class HeldReads extends InMemoryCampaignStore {
  readonly begun: { id: string; release: (error?: Error) => void }[] = [];
  private answered = 0;

  override async findById(id: string): Promise<Campaign | null> {
    const snapshot = await super.findById(id);
    return new Promise((resolve, reject) => {
      this.begun.push({ id, release: (error) => (error === undefined ? resolve(snapshot) : reject(error)) });
    });
  }

  /** Answers the oldest read not answered yet (with `error`, it fails). */
  async answer(error?: Error): Promise<void> {
    const read = this.answered < this.begun.length ? this.begun[this.answered++] : undefined;
    if (read === undefined) throw new Error('no read under way');
    read.release(error);
    for (let i = 0; i < 10; i += 1) await Promise.resolve(); // lets the answer reach the callers
  }
}

const rename = (store: InMemoryCampaignStore, name: string, version: number) =>
  store.save({ ...campaignFixture('a'), name, version }, version - 1);

let store: HeldReads;
let reads: SharedFreshCampaignReads;
beforeEach(async () => {
  store = new HeldReads();
  await store.save({ ...campaignFixture('a'), version: 1 }, null);
  reads = new SharedFreshCampaignReads(store);
});

test('calls one at a time each get a read of their own', async () => {
  for (let call = 0; call < 3; call += 1) {
    const read = reads.findById('a');
    await Promise.resolve();
    await store.answer();
    expect((await read)?.id).toBe('a');
  }
  expect(store.begun).toHaveLength(3);
});

test('a call made while a read is under way is answered by a read that began after it, shared with the others', async () => {
  const first = reads.findById('a'); // read 1 begins: name "a"
  await Promise.resolve();
  await rename(store, 'renamed', 2); // saved while read 1 is under way
  const during = Array.from({ length: 20 }, () => reads.findById('a'));
  expect(store.begun).toHaveLength(1); // nothing more begins while read 1 is under way

  await store.answer(); // read 1 answers; read 2 begins, for the 20
  expect((await first)?.name).toBe('a');
  expect(store.begun).toHaveLength(2);
  await rename(store, 'later', 3); // saved while read 2 is under way: a call made now needs read 3
  const afterIt = reads.findById('a');

  await store.answer();
  const answers = await Promise.all(during);
  // Every call made after the rename sees it, though a read was under way when it was made.
  expect(answers.map((c) => c?.name)).toEqual(Array(20).fill('renamed'));
  expect(store.begun).toHaveLength(3);
  await store.answer();
  expect((await afterIt)?.name).toBe('later');
  expect(store.begun).toHaveLength(3);
});

test('a failed read fails the calls it answers; the next call begins a new read', async () => {
  const first = reads.findById('a');
  await Promise.resolve();
  const joined = reads.findById('a');
  const failure = expect(joined).rejects.toThrow('database gone');
  await store.answer();
  await store.answer(new Error('database gone'));
  await failure;
  expect((await first)?.id).toBe('a');

  const again = reads.findById('a');
  await Promise.resolve();
  await store.answer();
  expect((await again)?.id).toBe('a');
  expect(store.begun).toHaveLength(3);
});

test('callers sharing a read each get their own copy; other campaigns read on their own', async () => {
  await store.save({ ...campaignFixture('b'), version: 1 }, null);
  const [a1, a2, a3, b] = [reads.findById('a'), reads.findById('a'), reads.findById('a'), reads.findById('b')];
  await Promise.resolve();
  expect(store.begun.map((r) => r.id)).toEqual(['a', 'b']);
  await store.answer(); // a, for a1; the read for a2 and a3 begins
  await store.answer(); // b
  await store.answer(); // a, for a2 and a3
  const [x, y, z] = await Promise.all([a2, a3, b]);
  expect(store.begun.map((r) => r.id)).toEqual(['a', 'b', 'a']);
  expect(x).toEqual(y);
  expect(x).not.toBe(y);
  expect(z?.id).toBe('b');
  expect((await a1)?.id).toBe('a');
});
