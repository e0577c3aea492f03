import { EventEmitter } from 'node:events';

import { RedisSoldOutView } from '../../src/adapters/redis/redis-sold-out-view';
import { silentLogger } from '../../src/adapters/silent-logger';

/**
 * The sold-out view's message handling, with the timing the Redis contract test cannot force: a subscriber
 * that delivers what the test says when it says it, and a transaction whose reply the test holds back.
 */
function viewWithHeldRead(stateWhenRead: string) {
  const subscriber = Object.assign(new EventEmitter(), {
    status: 'ready',
    subscribe: async () => 1,
    disconnect: () => undefined,
  });
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const redis = {
    hlen: async () => 1,
    get: async () => stateWhenRead,
    multi: () => ({
      get() {
        return this;
      },
      hkeys() {
        return this;
      },
      exec: async () => {
        await held;
        return [
          [null, stateWhenRead],
          [null, ['winner']],
        ];
      },
    }),
  };
  const view = new RedisSoldOutView(redis as never, subscriber as never, {
    keyPrefix: 'p',
    checkEveryMs: 60_000,
    maxHolders: 1_000,
    logger: silentLogger,
  });
  const hear = (message: string) => subscriber.emit('message', 'p:campaign-changes', message);
  return { view, hear, release };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

test('a change heard while the view is read is not undone by an older message arriving late', async () => {
  const { view, hear, release } = viewWithHeldRead('10');
  await turn();
  hear('c 10');
  view.noteFull('c', 10); // the claim script answered full at state 10; the read of it is on its way
  await turn();
  hear('c 11'); // a raise: not full any more
  hear('c 10'); // state 10's message, late (another node's link in a Redis Cluster)
  release();
  await new Promise((r) => setTimeout(r, 10));
  expect(view.soldOutFor('c', 'loser')).toBe(false);
  await view.close();
});

test('a read below what was heard before it (Redis lost the campaign) installs nothing, and the next full answer teaches', async () => {
  const { view, hear, release } = viewWithHeldRead('3');
  release();
  await turn();
  hear('c 40'); // before the loss
  view.noteFull('c', 3); // after it: versions started over
  await new Promise((r) => setTimeout(r, 10));
  expect(view.soldOutFor('c', 'loser')).toBe(false); // the read that found the loss installs nothing
  view.noteFull('c', 3);
  await new Promise((r) => setTimeout(r, 10));
  expect(view.soldOutFor('c', 'loser')).toBe(true);
  expect(view.soldOutFor('c', 'winner')).toBe(false);
  await view.close();
});
