import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';

import { MongoBulkWriteError, MongoNetworkError, MongoServerError } from 'mongodb';

import { DatabaseStalledError, StallGuard } from '../../src/adapters/mongo/stall-guard';

/** A clock the test moves; the guard's checks run on real timers but decide on this time only. */
function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const turn = (ms = 40) => new Promise((resolve) => setTimeout(resolve, ms));

test('a call waiting past the bound while nothing is answered fails with DatabaseStalledError', async () => {
  const clock = fakeClock();
  const guard = new StallGuard(100, clock.now);
  const call = deferred<string>();
  const guarded = guard.guard(call.promise);
  const settled = guarded.then(
    () => 'resolved',
    (error: unknown) => error,
  );
  clock.advance(99);
  await turn();
  expect(guard.waiting()).toBe(1); // not yet: 99 ms
  clock.advance(1);
  expect(await settled).toBeInstanceOf(DatabaseStalledError);
  expect(guard.waiting()).toBe(0);
  call.resolve('late'); // the driver's own answer, later, changes nothing
});

test('a call waiting long while the database answers others is not failed: a busy database is not a stalled one', async () => {
  const clock = fakeClock();
  const guard = new StallGuard(100, clock.now);
  const slow = deferred<string>();
  const guarded = guard.guard(slow.promise);
  for (let i = 0; i < 20; i += 1) {
    clock.advance(50); // 1,000 ms in all, ten times the bound, each step within it
    await guard.guard(Promise.resolve(i));
    await turn(10);
  }
  slow.resolve('answered');
  await expect(guarded).resolves.toBe('answered');
});

test("the database's refusals are answers; network errors and a bulk error without write errors are not", async () => {
  const clock = fakeClock();
  const guard = new StallGuard(100, clock.now);
  const refusals = [
    new MongoServerError({ message: 'E11000 duplicate key', code: 11000 }),
    new MongoBulkWriteError(
      { message: 'E11000', code: 11000, writeErrors: [{ index: 0, code: 11000, errmsg: 'dup' }] as never },
      { insertedCount: 0 } as never,
    ),
  ];
  for (const refusal of refusals) {
    const waiting = guard.guard(new Promise(() => {}));
    clock.advance(80);
    await expect(guard.guard(Promise.reject(refusal))).rejects.toBe(refusal);
    clock.advance(80); // 160 ms waiting, 80 since the refusal
    await turn();
    expect(guard.waiting()).toBe(1);
    clock.advance(20);
    await expect(waiting).rejects.toBeInstanceOf(DatabaseStalledError);
  }
  const silences = [new MongoNetworkError('connection timed out'), new Error('WaitQueueTimeout')];
  for (const silence of silences) {
    const waiting = guard.guard(new Promise(() => {}));
    clock.advance(80);
    await expect(guard.guard(Promise.reject(silence))).rejects.toBe(silence);
    clock.advance(40); // 120 ms since the last answer
    await expect(waiting).rejects.toBeInstanceOf(DatabaseStalledError);
  }
});

test('an answer that arrived while the event loop was busy is read before the guard decides', async () => {
  // A real socket: the answer is in it before the loop's long turn ends, and the guard's timer is due by
  // then too. The timer runs first in the next turn; the guard decides only after the loop has read the
  // socket, so the call ends answered, not stalled.
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as { port: number };
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = connect(address.port, '127.0.0.1');
  await once(client, 'connect');
  const [serverSide] = await accepted;
  try {
    const guard = new StallGuard(100);
    const answer = once(client, 'data').then(([data]) => String(data));
    const guarded = guard.guard(answer);
    serverSide.write('answered');
    const busyUntil = Date.now() + 400; // four times the bound, without yielding
    while (Date.now() < busyUntil) {
      // the event loop's long turn
    }
    await expect(guarded).resolves.toBe('answered');
  } finally {
    client.destroy();
    serverSide.destroy();
    server.close();
  }
});

test('wrap guards the methods that return promises, keeps `this`, and passes everything else through', async () => {
  const clock = fakeClock();
  const guard = new StallGuard(100, clock.now);
  const store = {
    name: 'winners',
    calls: 0,
    find(id: string): Promise<string> {
      this.calls += 1;
      return id === 'hang' ? new Promise(() => {}) : Promise.resolve(`found ${id}`);
    },
    label(): string {
      return `${this.name} store`;
    },
  };
  const wrapped = guard.wrap(store);
  expect(wrapped.name).toBe('winners');
  expect(wrapped.label()).toBe('winners store');
  await expect(wrapped.find('a')).resolves.toBe('found a');
  expect(store.calls).toBe(1);
  const hanging = wrapped.find('hang');
  clock.advance(100);
  await expect(hanging).rejects.toBeInstanceOf(DatabaseStalledError);
});
