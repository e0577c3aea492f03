import { startHarness, TEST_PASSWORD, type Harness } from '../support/harness';

/**
 * Behind a proxy that appends the client's address to X-Forwarded-For, the entries the client wrote itself
 * buy nothing, and no header becomes a budget of its own unless it is an IP address. The per-address
 * budget is kept in the process (its share of the limit), so the budgets are observed by what they admit.
 */
const login = (h: Harness, account: string, forwardedFor?: string) => {
  const request = h.http.post('/api/login-campaign');
  if (forwardedFor !== undefined) request.set('x-forwarded-for', forwardedFor);
  return request.send({ account, password: TEST_PASSWORD });
};

describe('TRUST_PROXY=true, one hop', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PROFILE: 'standard', RATE_LIMIT_IP_POINTS: '4', TRUST_PROXY: 'true' });
    await h.registerUsers(12);
  });
  afterAll(async () => {
    await h?.close();
  });

  test('a fresh address written by the client on the left does not buy a fresh budget', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 5; i++) statuses.push((await login(h, `user${i}`, `10.9.${i}.${i}, 203.0.113.9`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    // The budget is the right-most entry's: another client behind the same proxy still has its own.
    expect((await login(h, 'user6', '10.9.1.1, 203.0.113.77')).status).toBe(200);
  });

  test('an entry that is not an IP address counts as the socket’s address, never as a budget of its own', async () => {
    const statuses = [
      (await login(h, 'user7', 'not-an-ip')).status,
      (await login(h, 'user8', 'x'.repeat(3_000))).status,
      (await login(h, 'user9', '203.0.113.10, 198.51.100.1:443')).status,
      (await login(h, 'user10')).status, // no header: the socket's address
      (await login(h, 'user11', 'yet-another-name')).status,
    ];
    // Five different headers, one budget of four (127.0.0.1's): had any become a key, all five would pass.
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
  });
});

describe('TRUST_PROXY=true, TRUSTED_PROXY_HOPS=2 (a CDN in front of the load balancer)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      RATE_LIMIT_PROFILE: 'standard',
      RATE_LIMIT_IP_POINTS: '2',
      TRUST_PROXY: 'true',
      TRUSTED_PROXY_HOPS: '2',
    });
    await h.registerUsers(4);
  });
  afterAll(async () => {
    await h?.close();
  });

  test('the client is the entry two places from the right', async () => {
    expect((await login(h, 'user1', '192.0.2.1, 198.51.100.7, 10.0.0.1')).status).toBe(200);
    expect((await login(h, 'user2', '192.0.2.2, 198.51.100.7, 10.0.0.2')).status).toBe(200);
    // Same client (198.51.100.7), whatever it wrote on the left and whichever edge it came through.
    expect((await login(h, 'user3', '192.0.2.3, 198.51.100.7, 10.0.0.3')).status).toBe(429);
    expect((await login(h, 'user4', '192.0.2.1, 198.51.100.8, 10.0.0.1')).status).toBe(200);
  });
});
