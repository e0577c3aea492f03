import { EventEmitter } from 'node:events';

import type { MongoClient } from 'mongodb';

import { watchMonitor } from '../../src/adapters/mongo/monitor-watchdog';
import { silentLogger } from '../../src/adapters/silent-logger';

/** Just what the watchdog uses of a MongoClient: its events, close and connect. */
class FakeClient extends EventEmitter {
  closes = 0;
  connects = 0;
  async close(): Promise<void> {
    this.closes += 1;
    this.emit('topologyClosed');
  }
  async connect(): Promise<void> {
    this.connects += 1;
  }
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

function watched() {
  const client = new FakeClient();
  watchMonitor(client as unknown as MongoClient, { stuckAfterMs: 10_000, silentAfterMs: 35_000, logger: silentLogger });
  return client;
}

test('a server check that never finishes gets the client reconnected', async () => {
  const client = watched();
  client.emit('serverHeartbeatStarted');
  await jest.advanceTimersByTimeAsync(9_000);
  expect(client.closes).toBe(0);
  await jest.advanceTimersByTimeAsync(2_000);
  expect(client.closes).toBe(1);
  expect(client.connects).toBe(1);
});

test('checks that finish keep it quiet; no check at all for too long counts as stuck', async () => {
  const client = watched();
  for (let i = 0; i < 3; i++) {
    client.emit('serverHeartbeatStarted');
    await jest.advanceTimersByTimeAsync(500);
    client.emit(i % 2 === 0 ? 'serverHeartbeatSucceeded' : 'serverHeartbeatFailed');
    await jest.advanceTimersByTimeAsync(9_500);
  }
  expect(client.closes).toBe(0);
  await jest.advanceTimersByTimeAsync(36_000); // silence
  expect(client.closes).toBe(1);
});

test('a close by the application stops the watchdog', async () => {
  const client = watched();
  client.emit('topologyClosed');
  client.emit('serverHeartbeatStarted');
  await jest.advanceTimersByTimeAsync(60_000);
  expect(client.closes).toBe(0);
});
