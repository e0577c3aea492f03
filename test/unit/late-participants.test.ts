import { LateParticipants } from '../../src/application/support/late-participants';
import { silentLogger } from '../../src/adapters/silent-logger';
import { InMemoryParticipationStore } from '../support/fakes/in-memory-stores';

test('writes in batches of the configured size, and flush writes the rest', async () => {
  const store = new InMemoryParticipationStore();
  const recordMany = jest.spyOn(store, 'recordMany');
  const late = new LateParticipants(store, silentLogger, {
    batchSize: 10,
    flushIntervalMs: 60_000,
    maxBuffered: 1_000,
  });
  for (let i = 0; i < 25; i++) late.add('c', `u${i}`, new Date());
  await late.flush();
  expect(recordMany.mock.calls.map(([batch]) => batch.length)).toEqual([10, 10, 5]);
  expect(store.entries.size).toBe(25);
});

test('a batch that waits writes itself after the interval, not before', async () => {
  jest.useFakeTimers();
  try {
    const store = new InMemoryParticipationStore();
    const late = new LateParticipants(store, silentLogger, { batchSize: 100, flushIntervalMs: 20, maxBuffered: 1_000 });
    late.add('c', 'u1', new Date());
    await jest.advanceTimersByTimeAsync(19);
    expect(store.entries.size).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(store.entries.size).toBe(1);
  } finally {
    jest.useRealTimers();
  }
});

test("a full batch waits for the interval too: the first moments of a burst are its winners'", async () => {
  jest.useFakeTimers();
  try {
    const store = new InMemoryParticipationStore();
    const recordMany = jest.spyOn(store, 'recordMany');
    const late = new LateParticipants(store, silentLogger, { batchSize: 100, flushIntervalMs: 20, maxBuffered: 1_000 });
    for (let i = 0; i < 250; i++) late.add('c', `u${i}`, new Date());
    await jest.advanceTimersByTimeAsync(19);
    expect(recordMany).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(store.entries.size).toBe(100);
    await jest.advanceTimersByTimeAsync(2); // then batch after batch, with no more waiting
    expect(store.entries.size).toBe(250);
    expect(recordMany.mock.calls.map(([batch]) => batch.length)).toEqual([100, 100, 50]);
  } finally {
    jest.useRealTimers();
  }
});

test('memory stays bounded: past maxBuffered entries are dropped, and a failed batch does not throw', async () => {
  const store = new InMemoryParticipationStore();
  jest.spyOn(store, 'recordMany').mockRejectedValueOnce(new Error('database down'));
  const late = new LateParticipants(store, silentLogger, { batchSize: 1_000, flushIntervalMs: 60_000, maxBuffered: 5 });
  for (let i = 0; i < 8; i++) late.add('c', `u${i}`, new Date());
  await expect(late.flush()).resolves.toBeUndefined();
  late.add('c', 'again', new Date());
  await late.flush();
  expect([...store.entries.keys()]).toHaveLength(1);
});

test('memory stays bounded behind a hung write too: batches queued for the database count', async () => {
  const store = new InMemoryParticipationStore();
  let release: () => void = () => {};
  const hung = new Promise<void>((resolve) => (release = resolve));
  const recordMany = jest.spyOn(store, 'recordMany').mockImplementationOnce(async (batch) => {
    await hung;
    return batch.length;
  });
  const late = new LateParticipants(store, silentLogger, { batchSize: 2, flushIntervalMs: 60_000, maxBuffered: 6 });
  // Batches of 2 leave the buffer at once, but the first write hangs: only 6 entries may wait in memory.
  for (let i = 0; i < 20; i++) late.add('c', `u${i}`, new Date());
  release();
  await late.flush();
  const written = recordMany.mock.calls.reduce((sum, [batch]) => sum + batch.length, 0);
  expect(written).toBe(6);
  // Once written, room again.
  late.add('c', 'later', new Date());
  await late.flush();
  expect(store.entries.size).toBe(5); // the mocked first batch of 2 wrote nothing into the fake store
});

test('a batch the database does not take is tried again after the interval, so nothing is lost', async () => {
  jest.useFakeTimers();
  try {
    const store = new InMemoryParticipationStore();
    const recordMany = jest.spyOn(store, 'recordMany').mockRejectedValueOnce(new Error('timed out'));
    const late = new LateParticipants(store, silentLogger, { batchSize: 2, flushIntervalMs: 20, maxBuffered: 1_000 });
    for (let i = 0; i < 3; i++) late.add('c', `u${i}`, new Date());
    await jest.advanceTimersByTimeAsync(20);
    expect(recordMany).toHaveBeenCalledTimes(1);
    expect(store.entries.size).toBe(0);
    await jest.advanceTimersByTimeAsync(19); // the failed batch waits an interval before its second try
    expect(recordMany).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(5);
    expect(store.entries.size).toBe(3);
    expect(recordMany.mock.calls.map(([batch]) => batch.map((entry) => entry.userId))).toEqual([
      ['u0', 'u1'],
      ['u0', 'u1'],
      ['u2'],
    ]);
  } finally {
    jest.useRealTimers();
  }
});

test('at shutdown a flush gives up after its time: what it could not write is logged as lost, and it returns', async () => {
  const store = new InMemoryParticipationStore();
  let fail: (error: Error) => void = () => {};
  const hung = new Promise<number>((_, reject) => (fail = reject));
  jest.spyOn(store, 'recordMany').mockReturnValue(hung); // answers only when the connection is closed
  const errors: Record<string, unknown>[] = [];
  const logger = { ...silentLogger, error: (fields: Record<string, unknown>) => errors.push(fields) };
  const late = new LateParticipants(store, logger, { batchSize: 2, flushIntervalMs: 10, maxBuffered: 5 });
  for (let i = 0; i < 5; i++) late.add('c', `u${i}`, new Date());
  await new Promise((r) => setTimeout(r, 30)); // the interval's batch is in its write, which hangs
  await expect(late.flush(50)).resolves.toBeUndefined();
  expect(errors).toEqual([{ lost: 3, stillWriting: 2 }]);
  // Closing the connection fails the batch in its write: lost too, and said so, not kept for a retry.
  fail(new Error('client closed'));
  await new Promise((r) => setImmediate(r));
  expect(errors.slice(1)).toEqual([expect.objectContaining({ lost: 2 })]);
});
