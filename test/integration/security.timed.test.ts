import supertest from 'supertest';

import { ScryptPasswordHasher } from '../../src/adapters/crypto/scrypt-password-hasher';
import { RegisterUsers } from '../../src/application/register-users.use-case';
import { composeApi } from '../../src/compose/api';
import { silentLogger } from '../../src/adapters/silent-logger';
import { startHarness, TEST_PASSWORD, type Harness } from '../support/harness';
import { sendJson } from '../support/http-client';

const login = (h: Harness, account: string, password = TEST_PASSWORD, headers: Record<string, string> = {}) =>
  h.http.post('/api/login-campaign').set(headers).send({ account, password });
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/** How long a wrong-password login of `account` takes, in ms; it must be refused with 401. */
async function timedLogin(h: Harness, account: string): Promise<number> {
  const started = process.hrtime.bigint();
  const response = await login(h, account, 'not-the-password');
  expect(response.status).toBe(401);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

describe('rate limits (shared by every API process, in Redis)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      RATE_LIMIT_PROFILE: 'standard',
      RATE_LIMIT_ACCOUNT_POINTS: '3',
      RATE_LIMIT_IP_POINTS: '12',
      LOGIN_FAILURES_ALLOWED: '3',
      LOGIN_ACCOUNT_FAILURES_ALLOWED: '6',
      LOGIN_BACKOFF_SECONDS: '600',
      TRUST_PROXY: 'true',
    });
    await h.registerUsers(16);
  });
  afterAll(async () => {
    await h?.close();
  });
  const from = (ip: string) => ({ 'x-forwarded-for': ip });

  test('per account and address: the 4th attempt in the window is 429 RATE_LIMITED; the owner elsewhere is not', async () => {
    for (let i = 0; i < 3; i++) expect((await login(h, 'user1', TEST_PASSWORD, from('198.51.100.1'))).status).toBe(200);
    // "USER1" is another account to the user directory (none here), with a budget of its own.
    expect((await login(h, 'USER1', TEST_PASSWORD, from('198.51.100.1'))).status).toBe(401);
    const refused = await login(h, ' user1 ', TEST_PASSWORD, from('198.51.100.1')); // trimmed: the same account
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ status: false, errorCode: 'RATE_LIMITED', details: { scope: 'account' } });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login(h, 'user1', TEST_PASSWORD, from('198.51.100.2'))).status).toBe(200);
  });

  test('per client address, split between the API processes: never more than the limit in all', async () => {
    const second = await composeApi(h.config, silentLogger); // another process's worth of API, same Redis
    const processesAre = async (count: number) => {
      const deadline = Date.now() + 5_000;
      while ((h.api.processes() !== count || second.processes() !== count) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect([h.api.processes(), second.processes()]).toEqual([count, count]);
    };
    try {
      await processesAre(2);
      const other = supertest(second.listener);
      const attempt = async (api: typeof other, i: number, address: string) =>
        (
          await api
            .post('/api/login-campaign')
            .set(from(address))
            .send({ account: `stranger-${address}-${i}`, password: 'x' })
        ) // a new account each time
        .status;

      // 12 per address, 6 for each of the two processes: spread evenly, the whole limit is reachable.
      const even: number[] = [];
      for (let i = 0; i < 12; i++) even.push(await attempt(i % 2 === 0 ? h.http : other, i, '203.0.113.5'));
      expect(even.filter((status) => status === 429)).toHaveLength(0);
      const refused = await login(h, 'user9', TEST_PASSWORD, from('203.0.113.5'));
      expect(refused.status).toBe(429);
      expect(refused.body.details).toMatchObject({ scope: 'client' });
      expect(await attempt(other, 13, '203.0.113.5')).toBe(429);

      // All on one process: its share; the other still has its own. Never more than 12 in all.
      const skewed: number[] = [];
      for (let i = 0; i < 12; i++) skewed.push(await attempt(h.http, i, '203.0.113.7'));
      for (let i = 12; i < 24; i++) skewed.push(await attempt(other, i, '203.0.113.7'));
      expect(skewed.filter((status) => status !== 429)).toHaveLength(12);
      expect((await login(h, 'user10', TEST_PASSWORD, from('203.0.113.6'))).status).toBe(200); // another address
    } finally {
      await second.close();
    }
    const deadline = Date.now() + 5_000;
    while (h.api.processes() !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(h.api.processes()).toBe(1); // the second left the registry
  });

  test('wrong passwords back off the guessing address, even for the right password; unknown accounts alike', async () => {
    for (const account of ['user11', 'ghost']) {
      for (let i = 0; i < 3; i++) {
        const attempt = await login(h, account, 'wrong', from('192.0.2.7'));
        expect(attempt.body).toMatchObject({ errorCode: 'INVALID_CREDENTIALS' });
      }
      const backedOff = await login(h, account, TEST_PASSWORD, from('192.0.2.7'));
      expect(backedOff.status).toBe(429);
      expect(backedOff.body.details).toMatchObject({ scope: 'account', reason: 'too many wrong passwords' });
      expect(Number(backedOff.headers['retry-after'])).toBeGreaterThan(500);
    }
    expect((await login(h, 'user12', TEST_PASSWORD, from('192.0.2.7'))).status).toBe(200); // other accounts unaffected
  });

  test('lockout is no weapon: while the attacker is throttled, the owner logs in from another address', async () => {
    const attacker = from('203.0.113.66');
    for (let i = 0; i < 5; i++) await login(h, 'user14', 'guess', attacker);
    expect((await login(h, 'user14', 'guess', attacker)).status).toBe(429);
    const owner = await login(h, 'user14', TEST_PASSWORD, from('198.51.100.14'));
    expect(owner.status).toBe(200);
    expect(owner.body.errorCode).not.toBe('RATE_LIMITED');
    expect((await login(h, 'user14', 'guess', attacker)).status).toBe(429); // and the attacker still is
  });

  test('guessing from many addresses meets the account-wide cap; addresses the account logged in from stay open', async () => {
    expect((await login(h, 'user15', TEST_PASSWORD, from('198.51.100.15'))).status).toBe(200); // the owner's address
    for (let i = 0; i < 6; i++) {
      expect((await login(h, 'user15', 'guess', from(`192.0.2.${100 + i}`))).status).toBe(401); // one guess each
    }
    const stranger = await login(h, 'user15', TEST_PASSWORD, from('192.0.2.150'));
    expect(stranger.status).toBe(429);
    expect(stranger.body.details).toMatchObject({ reason: 'too many wrong passwords for this account' });
    expect((await login(h, 'user15', TEST_PASSWORD, from('198.51.100.15'))).status).toBe(200);
  });

  test('a right password clears that address’s failures', async () => {
    const address = from('192.0.2.201');
    await login(h, 'user13', 'wrong', address);
    await login(h, 'user13', 'wrong', address);
    const key = `${h.config.redis.keyPrefix}:rl:{user13}:failures:192.0.2.201`;
    expect(await h.api.redis.keys(key)).toHaveLength(1);
    expect((await login(h, 'user13', TEST_PASSWORD, address)).status).toBe(200);
    expect(await h.api.redis.keys(key)).toEqual([]);
  });
});

describe('without a trusted proxy', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PROFILE: 'standard', RATE_LIMIT_IP_POINTS: '3' });
    await h.registerUsers(5);
  });
  afterAll(async () => {
    await h?.close();
  });

  test('a forged X-Forwarded-For does not buy a fresh budget', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 4; i++)
      statuses.push((await login(h, `user${i}`, TEST_PASSWORD, { 'x-forwarded-for': `10.0.0.${i}` })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});

describe('password checks', () => {
  let h: Harness;
  beforeAll(async () => {
    // The production hashing cost, and a small gate, so the bound is visible.
    h = await startHarness({ PASSWORD_HASH_PROFILE: 'standard', HASH_MAX_CONCURRENT: '2', HASH_MAX_WAITING: '2' });
    await h.registerUsers(2);
  });
  afterAll(async () => {
    await h?.close();
  });

  test('unknown account and wrong password: the same answer, in comparable time', async () => {
    const timed = async (account: string) => {
      const started = process.hrtime.bigint();
      const response = await login(h, account, 'not-the-password');
      return { ms: Number(process.hrtime.bigint() - started) / 1e6, status: response.status, body: response.body };
    };
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 7; i++) {
      const a = await timed('user1');
      const b = await timed(`nobody-${i}`);
      expect(a.status).toBe(401);
      expect(b.status).toBe(401);
      expect(b.body).toEqual(a.body);
      wrong.push(a.ms);
      unknown.push(b.ms);
    }
    const ratio = median(unknown) / median(wrong);
    console.log(
      `FIGURE unknown/wrong login time: ${median(unknown).toFixed(1)} / ${median(wrong).toFixed(1)} ms (ratio ${ratio.toFixed(2)})`,
    );
    expect(ratio).toBeGreaterThan(0.5); // without the dummy hash an unknown account answers ~20x faster
    expect(ratio).toBeLessThan(2);
  });

  test('a flood of password checks is bounded: the excess is shed at once with 503 SERVER_BUSY', async () => {
    const flood = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const started = Date.now();
        const response = await sendJson<{ errorCode: string | null }>('POST', `${h.baseUrl}/api/login-campaign`, {
          account: 'user2',
          password: TEST_PASSWORD,
        });
        return {
          status: response.status,
          body: response.body,
          retryAfter: response.headers['retry-after'],
          ms: Date.now() - started,
        };
      }),
    );
    const shed = flood.filter((r) => r.status === 503);
    const served = flood.filter((r) => r.status === 200);
    expect(served.length).toBeGreaterThanOrEqual(4); // 2 running + 2 waiting at least
    expect(shed.length).toBeGreaterThan(15);
    for (const r of shed) {
      expect(r.body.errorCode).toBe('SERVER_BUSY');
      expect(r.retryAfter).toBe('1');
    }
    const slowestServed = Math.max(...served.map((r) => r.ms));
    const slowestShed = Math.max(...shed.map((r) => r.ms));
    console.log(
      `FIGURE hashing gate: ${served.length} served (slowest ${slowestServed} ms), ${shed.length} shed (slowest ${slowestShed} ms)`,
    );
    expect(slowestShed).toBeLessThan(slowestServed);
  });
});

describe('after the hashing cost is raised (SCRYPT_LOG_N above the stored hashes)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ PASSWORD_HASH_PROFILE: 'test', SCRYPT_LOG_N: '14' });
    // Accounts stored before the raise, at the old cost (2^10).
    const before = new RegisterUsers(h.api.stores.users, new ScryptPasswordHasher({ logN: 10, r: 8, p: 1 }));
    await before.execute(['old1', 'old2'].map((account) => ({ account, password: TEST_PASSWORD })));
  });
  afterAll(async () => {
    await h?.close();
  });

  test('unknown accounts take as long as real ones: the dummy hash follows the stored hashes’ cost', async () => {
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 9; i++) {
      wrong.push(await timedLogin(h, 'old1'));
      unknown.push(await timedLogin(h, `nobody-${i}`));
    }
    const ratio = median(unknown) / median(wrong);
    console.log(
      `FIGURE after a cost raise, unknown/known login time: ${median(unknown).toFixed(1)} / ${median(wrong).toFixed(1)} ms (ratio ${ratio.toFixed(2)})`,
    );
    expect(ratio).toBeGreaterThan(0.5); // a dummy at the new cost made this ~16
    expect(ratio).toBeLessThan(2);
  });

  test('an attacker cannot steer it: logging in to an own, rehashed account before each probe changes nothing', async () => {
    const own = new RegisterUsers(h.api.stores.users, new ScryptPasswordHasher({ logN: 10, r: 8, p: 1 }));
    await own.execute([{ account: 'attacker', password: TEST_PASSWORD }]);
    expect((await login(h, 'attacker', TEST_PASSWORD)).status).toBe(200); // now rehashed at 2^14
    const primed = async (account: string) => {
      await login(h, 'attacker', TEST_PASSWORD);
      return timedLogin(h, account);
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 9; i++) {
      known.push(await primed('old1'));
      unknown.push(await primed(`stranger-${i}`));
    }
    const ratio = median(unknown) / median(known);
    console.log(
      `FIGURE primed by a rehashed account, unknown/known: ${median(unknown).toFixed(1)} / ${median(known).toFixed(1)} ms (ratio ${ratio.toFixed(2)})`,
    );
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
    // The same unknown name costs the same every time (a steady cost, as a real account's).
    const again = [await primed('stranger-0'), await primed('stranger-0'), await primed('stranger-0')];
    expect(Math.max(...again) / Math.min(...again)).toBeLessThan(3);
  });

  test('a right password rehashes the account at the current cost, and it still logs in', async () => {
    expect((await login(h, 'old2', TEST_PASSWORD)).status).toBe(200);
    const deadline = Date.now() + 10_000;
    let stored = '';
    while (Date.now() < deadline) {
      stored = (await h.api.stores.users.findByAccount('old2'))?.passwordHash ?? '';
      if (stored.startsWith('$scrypt$ln=14,')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(stored).toMatch(/^\$scrypt\$ln=14,r=8,p=1\$/);
    expect((await login(h, 'old2', TEST_PASSWORD)).status).toBe(200);
    expect((await login(h, 'old2', 'wrong')).status).toBe(401);
  });
});

describe('answers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  test('carry security headers', async () => {
    const response = await h.http.post('/api/login-campaign').send({});
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  test('never echo what was sent: not the password, not markup', async () => {
    const response = await h.http.post('/api/login-campaign').send({
      account: '<script>alert(1)</script>',
      password: 'hunter2-in-the-body',
      campaignId: '<img src=x onerror=alert(1)>',
    });
    expect(response.status).toBe(400);
    const text = JSON.stringify(response.body);
    expect(text).not.toContain('hunter2-in-the-body');
    expect(text).not.toContain('<script>');
    expect(text).not.toContain('<img');
    expect(response.body.details.problems).toEqual([expect.objectContaining({ path: 'campaignId' })]);
  });
});
