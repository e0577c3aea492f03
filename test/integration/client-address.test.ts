import { startHarness, TEST_PASSWORD, type Harness } from '../support/harness';

/**
 * Behind a proxy that appends the client's address to X-Forwarded-For, the entries the client wrote itself
 * buy nothing, and no header turns into a Redis key that is not an IP address.
 */
const login = (h: Harness, account: string, forwardedFor: string) =>
  h.http.post('/api/login-campaign').set('x-forwarded-for', forwardedFor).send({ account, password: TEST_PASSWORD });

async function addressKeys(h: Harness): Promise<string[]> {
  const prefix = `${h.config.redis.keyPrefix}:rl:ip:`;
  return (await h.api.redis.keys(`${prefix}*`)).map((key) => key.slice(prefix.length)).sort();
}

describe('TRUST_PROXY=true, one hop', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PROFILE: 'standard', RATE_LIMIT_IP_POINTS: '4', TRUST_PROXY: 'true' });
    await h.registerUsers(8);
  });
  afterAll(async () => {
    await h.close();
  });

  test('a fresh address written by the client on the left does not buy a fresh budget', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 5; i++) statuses.push((await login(h, `user${i}`, `10.9.${i}.${i}, 203.0.113.9`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    expect(await addressKeys(h)).toEqual(['203.0.113.9']);
  });

  test('an entry that is not an IP address counts as the socket’s address, never as a key of its own', async () => {
    await login(h, 'user6', 'not-an-ip');
    await login(h, 'user7', 'x'.repeat(3_000));
    await login(h, 'user8', '203.0.113.10, 198.51.100.1:443');
    expect(await addressKeys(h)).toEqual(['127.0.0.1', '203.0.113.9']);
  });
});

describe('TRUST_PROXY=true, TRUSTED_PROXY_HOPS=2 (a CDN in front of the load balancer)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PROFILE: 'standard', TRUST_PROXY: 'true', TRUSTED_PROXY_HOPS: '2' });
    await h.registerUsers(1);
  });
  afterAll(async () => {
    await h.close();
  });

  test('the client is the entry two places from the right', async () => {
    expect((await login(h, 'user1', '192.0.2.1, 198.51.100.7, 10.0.0.1')).status).toBe(200);
    expect(await addressKeys(h)).toEqual(['198.51.100.7']);
  });
});
