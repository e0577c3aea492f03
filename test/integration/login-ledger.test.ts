import { createApiRedis, waitForRedis } from '../../src/adapters/redis/connection';
import { HOLD_MS, RedisLoginLedger } from '../../src/adapters/redis/redis-login-ledger';
import { RedisLoginThrottle, type LoginLimits } from '../../src/adapters/redis/redis-login-throttle';
import type { RedisClient } from '../../src/adapters/redis/scripts';
import { startRedisServer, type LocalService } from '../../scripts/lib/local-services';

/**
 * The Redis side of the password-login limits (RedisLoginLedger, through RedisLoginThrottle), beyond the
 * LoginThrottle contract: its key layout, and what it does when Redis stops answering. A Redis of its own,
 * as it is frozen here.
 */
const LIMITS: LoginLimits = {
  perIp: { points: 1_000, windowSeconds: 60 },
  perAccount: { points: 1_000, windowSeconds: 60 },
  failures: { allowed: 3, backoffSeconds: 60 },
  accountFailures: { allowed: 100 },
  knownAddressDays: 30,
};
const TIMEOUT_MS = 100;

let server: LocalService;
let redis: RedisClient;
let prefixes = 0;
const prefix = (): string => `ledger-${++prefixes}`;

beforeAll(async () => {
  server = await startRedisServer();
  redis = createApiRedis(
    { url: server.url, clusterNodes: null },
    { connectionName: 'ledger', commandTimeoutMs: 5_000 },
  );
  await waitForRedis(redis);
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

/** Resolves to 'admitted', or the RATE_LIMITED details it was refused with. */
async function admission(throttle: RedisLoginThrottle, account: string, clientIp: string): Promise<unknown> {
  return throttle.admit({ account, clientIp }).then(
    () => 'admitted',
    (error: { code?: string; details?: unknown }) => ({ code: error.code, details: error.details }),
  );
}

test("one account's keys share a Cluster slot, whatever its name; accounts that look alike count apart", async () => {
  const keyPrefix = prefix();
  const throttle = new RedisLoginThrottle(redis, keyPrefix, LIMITS, () => 1, 2_000);
  const tricky = ['a}:failures:x', '{a}', 'a', ' a ', 'A', 'a:b', 'ünïcode|192.0.2.1', '%7Ba%7D', 'lone \ud800'];
  for (const account of tricky) {
    expect(await admission(throttle, account, '2001:db8::1')).toBe('admitted');
    await throttle.recordSuccess({ account, clientIp: '2001:db8::1' });
    await throttle.recordFailure({ account, clientIp: '2001:db8::1' });
  }
  const keys = await redis.keys(`${keyPrefix}:*`);
  // Redis Cluster hashes only the part between a key's first { and the } after it: one brace pair per key,
  // holding the account, puts all of one account's keys on one slot.
  const tags = new Map<string, number>();
  for (const key of keys) {
    expect(key.match(/[{}]/g)).toEqual(['{', '}']);
    const tag = /\{([^}]*)\}/.exec(key)?.[1] ?? '';
    tags.set(tag, (tags.get(tag) ?? 0) + 1);
  }
  // 'a' and ' a ' are one account (trimmed, as the edge trims it); 'A' is another, as in the user directory.
  expect([...tags.keys()].sort()).toEqual(
    ['a%7D:failures:x', '%7Ba%7D', 'a', 'A', 'a:b', 'ünïcode|192.0.2.1', '%257Ba%257D', 'lone \ufffd'].sort(),
  );
  for (const count of tags.values()) expect(count).toBe(5); // failures, known and holds: for the account and the pair
  // The failures after the last success remain: one from the address, two in all ('a' and ' a ').
  expect(Number(await redis.get(`${keyPrefix}:rl:{a}:failures`))).toBe(2);
  expect(Number(await redis.get(`${keyPrefix}:rl:{a}:failures:2001:db8:0:0::/64`))).toBe(1);
});

test('with Redis frozen, wrong passwords are counted in memory within the timeout, and back off as in Redis', async () => {
  const throttle = new RedisLoginThrottle(redis, prefix(), LIMITS, () => 1, TIMEOUT_MS);
  const attacker = { account: 'alice', clientIp: '192.0.2.50' };
  await throttle.recordFailure(attacker); // one in Redis
  server.freeze();
  const took: number[] = [];
  try {
    const timed = async (call: () => Promise<unknown>): Promise<unknown> => {
      const started = Date.now();
      const result = await call();
      took.push(Date.now() - started);
      return result;
    };
    for (let i = 0; i < 3; i++) {
      expect(await timed(() => admission(throttle, attacker.account, attacker.clientIp))).toBe('admitted');
      await timed(() => throttle.recordFailure(attacker));
    }
    // Three in memory: the pair is backed off, though Redis holds only one; the owner elsewhere is not.
    expect(await timed(() => admission(throttle, 'alice', '192.0.2.50'))).toMatchObject({
      code: 'RATE_LIMITED',
      details: { reason: 'too many wrong passwords' },
    });
    expect(await timed(() => admission(throttle, 'alice', '198.51.100.1'))).toBe('admitted');
    // A success, while frozen, forgets the pair's count in memory.
    await timed(() => throttle.recordSuccess(attacker));
    expect(await timed(() => admission(throttle, 'alice', '192.0.2.50'))).toBe('admitted');
  } finally {
    server.thaw();
  }
  console.log(`FIGURE ledger calls with Redis frozen: slowest ${Math.max(...took)} ms of ${took.length}`);
  for (const ms of took) expect(ms).toBeLessThan(TIMEOUT_MS + 400);
});

test('an address remembered before this key layout still opens an account closed by the account-wide cap', async () => {
  const keyPrefix = prefix();
  const throttle = new RedisLoginThrottle(
    redis,
    keyPrefix,
    { ...LIMITS, accountFailures: { allowed: 4 } },
    () => 1,
    2_000,
  );
  // As the versions before it wrote it (rate-limiter-flexible: <prefix>:rl:known:<account>|<address>).
  await redis.set(`${keyPrefix}:rl:known:alice|198.51.100.9`, '1', 'EX', 60);
  for (let i = 1; i <= 4; i++) await throttle.recordFailure({ account: 'alice', clientIp: `203.0.113.${i}` });
  expect(await admission(throttle, 'alice', '198.51.100.9')).toBe('admitted');
  expect(await admission(throttle, 'alice', '198.51.100.10')).toMatchObject({
    code: 'RATE_LIMITED',
    details: { reason: 'too many wrong passwords for this account' },
  });
});

test('wrong passwords sent at once to two processes: no more are checked than the back-off allows', async () => {
  const keyPrefix = prefix();
  const limits = { ...LIMITS, failures: { allowed: 5, backoffSeconds: 60 }, accountFailures: { allowed: 8 } };
  const processes = [1, 2].map(() => new RedisLoginThrottle(redis, keyPrefix, limits, () => 1, 2_000));
  /** One login with a wrong password: admitted, checked for 20 ms, counted; or refused at once. */
  const guess = async (clientIp: string, i: number): Promise<'checked' | 'refused'> => {
    const throttle = processes[i % 2] as RedisLoginThrottle;
    const attempt = { account: 'bob', clientIp }; // one object from admission to outcome, as a login has
    try {
      await throttle.admit(attempt);
    } catch {
      return 'refused';
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    await throttle.recordFailure(attempt);
    return 'checked';
  };
  const fromOne = await Promise.all(Array.from({ length: 10 }, (_, i) => guess('192.0.2.60', i)));
  expect(fromOne.filter((o) => o === 'checked')).toHaveLength(5);
  // From many addresses at once: the account-wide cap (8) holds, 5 of them already counted.
  const fromMany = await Promise.all(Array.from({ length: 10 }, (_, i) => guess(`203.0.113.${60 + i}`, i)));
  expect(fromMany.filter((o) => o === 'checked')).toHaveLength(3);
  expect(await redis.get(`${keyPrefix}:rl:{bob}:failures`)).toBe('8');
  expect(await redis.get(`${keyPrefix}:rl:{bob}:failures:192.0.2.60`)).toBe('5');
});

test('each held place lapses on its own, a minute after it was taken, however often its key is used', async () => {
  let now = 1_000_000;
  const limits = { backoffSeconds: 900, pairAllowed: 2, accountAllowed: 100, knownAddressDays: 30 };
  const ledger = new RedisLoginLedger(redis, prefix(), limits, 2_000, { now: () => now });
  const attempt = (): { account: string; clientIp: string } => ({ account: 'carol', clientIp: '192.0.2.70' });
  expect(await ledger.admit(attempt())).toBeNull(); // never settled: its process died
  now += HOLD_MS - 1_000;
  expect(await ledger.admit(attempt())).toBeNull(); // never settled either
  expect(await ledger.admit(attempt())).toMatchObject({ reason: 'pair-held' });
  now += 2_000; // the first has lapsed, the second has not
  expect(await ledger.admit(attempt())).toBeNull();
  expect(await ledger.admit(attempt())).toMatchObject({ reason: 'pair-held' });
});

test('logins admitted from memory (Redis late) count there too, though Redis takes their wrong passwords', async () => {
  const throttle = new RedisLoginThrottle(redis, prefix(), LIMITS, () => 1, TIMEOUT_MS); // 3 allowed per pair
  const frozenWhile = async <T>(call: () => Promise<T>): Promise<T> => {
    server.freeze();
    try {
      return await call();
    } finally {
      server.thaw();
    }
  };
  for (let i = 0; i < 3; i++) {
    const attempt = { account: 'dave', clientIp: '192.0.2.80' };
    await frozenWhile(() => throttle.admit(attempt)); // Redis too late: admitted from memory
    await throttle.recordFailure(attempt); // Redis answers again and takes it
  }
  // Had only Redis counted them, memory would still admit whenever Redis is late.
  expect(await frozenWhile(() => admission(throttle, 'dave', '192.0.2.80'))).toMatchObject({
    code: 'RATE_LIMITED',
    details: { reason: 'too many wrong passwords' },
  });
});

test('with Redis frozen, each of the live processes allows its share of a limit, so together no more than it', async () => {
  // Three processes, 3 wrong passwords allowed per pair: one each while they count in memory.
  const throttle = new RedisLoginThrottle(redis, prefix(), LIMITS, () => 3, TIMEOUT_MS);
  const attacker = { account: 'erin', clientIp: '192.0.2.90' };
  server.freeze();
  try {
    expect(await admission(throttle, attacker.account, attacker.clientIp)).toBe('admitted');
    await throttle.recordFailure(attacker);
    expect(await admission(throttle, attacker.account, attacker.clientIp)).toMatchObject({
      code: 'RATE_LIMITED',
      details: { reason: 'too many wrong passwords' },
    });
  } finally {
    server.thaw();
  }
});
