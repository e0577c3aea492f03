import { connect } from 'node:net';
import { Worker } from 'node:worker_threads';

import { withTimeout } from '../../src/application/support/dependency-call';

/** Busy for `ms` on this thread, as a burst keeps the event loop (timers and sockets wait). */
function stall(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // nothing: the loop is held
  }
}

// The echo server runs on a thread of its own, as Redis or a database would, so it answers while this
// thread's event loop is held.
const ECHO_SERVER = `
  const { parentPort } = require('node:worker_threads');
  const server = require('node:net').createServer((socket) => socket.on('data', (data) => socket.write(data)));
  server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;
let echo: Worker;
let port: number;
beforeAll(async () => {
  echo = new Worker(ECHO_SERVER, { eval: true });
  port = await new Promise<number>((resolve) => echo.once('message', resolve));
});
afterAll(async () => {
  await echo.terminate();
});

/** Sends a line and resolves with the echo; its reply is in the socket within a millisecond or two. */
async function echoCall(): Promise<{ reply: Promise<string>; close: () => void }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const reply = new Promise<string>((resolve) => socket.once('data', (data) => resolve(data.toString())));
  socket.write('ping');
  return { reply, close: () => socket.destroy() };
}

test('a reply that arrived in time while the event loop was stalled counts as in time', async () => {
  const { reply, close } = await echoCall();
  const answer = withTimeout(reply, 50, 'echo');
  stall(500); // the reply arrives during the stall; the timer is overdue when the loop turns again
  await expect(answer).resolves.toBe('ping');
  close();
});

test('a call still unanswered when its time is up is rejected, naming it', async () => {
  const never = new Promise<string>(() => {});
  const started = Date.now();
  await expect(withTimeout(never, 50, 'silent call')).rejects.toThrow('silent call took longer than 50 ms');
  expect(Date.now() - started).toBeGreaterThanOrEqual(49);
});

test('a rejection is passed on as it is', async () => {
  await expect(withTimeout(Promise.reject(new Error('refused')), 50, 'call')).rejects.toThrow('refused');
});
