import { SignJWT } from 'jose';

import { startHarness, TEST_PASSWORD, type Harness } from '../support/harness';

const SECRET = 'test-secret-for-token-login-0123456789abcdef';
let h: Harness;
let alice: string;

beforeAll(async () => {
  h = await startHarness({ JWT_SECRET: SECRET, JWT_ISSUER: 'login-service' });
  await h.registerUsers(2);
  await h.saveCampaign('tokens', { limit: 5 });
  alice = (await h.api.stores.users.findByAccount('user1'))?.userId as string;
});
afterAll(async () => {
  await h?.close();
});

const tokenFor = (sub: string, issuer = 'login-service') =>
  new SignJWT({ sub })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(issuer)
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(SECRET));

test('a bearer token logs its sub in; the same person by password is the same user, one slot', async () => {
  const byToken = await h.http
    .post('/api/login-campaign')
    .set('authorization', `Bearer ${await tokenFor(alice)}`)
    .send({ campaignId: 'tokens' });
  expect(byToken.status).toBe(200);
  expect(byToken.body).toMatchObject({ status: true, userId: alice, campaigns: [{ outcome: 'won', slot: 1 }] });

  const byPassword = await h.login('user1', TEST_PASSWORD, 'tokens');
  expect(byPassword.body).toMatchObject({ userId: alice, campaigns: [{ outcome: 'already_won', slot: 1 }] });

  const vouchers = await h.http.get('/api/vouchers').set('authorization', `Bearer ${await tokenFor(alice)}`);
  expect(vouchers.status).toBe(200);
  expect(vouchers.body.vouchers).toEqual([expect.objectContaining({ campaignId: 'tokens', slot: 1 })]);
});

test('a body without anything but the campaign is all a token login takes', async () => {
  const response = await h.http
    .post('/api/login-campaign')
    .set('authorization', `Bearer ${await tokenFor('someone-else')}`)
    .send({ campaignId: 'tokens', account: 'user2', password: TEST_PASSWORD });
  expect(response.status).toBe(400);
  expect(response.body.errorCode).toBe('INVALID_REQUEST');
});

test.each([
  ['a token from another issuer', () => tokenFor(alice, 'elsewhere')],
  ['a malformed token', async () => 'abc.def.ghi'],
  ['a token over 4 KB', async () => `${await tokenFor(alice)}${'A'.repeat(4_200)}`],
  ['a token with characters no token has', async () => `${await tokenFor(alice)}<script>`],
  ['a verified token whose sub holds a NUL', () => tokenFor('u\u0000x')],
  ['a verified token whose sub holds a line break', () => tokenFor('u\u0007x\n')],
  [
    'a token valid until 1e20 (longer than JWT_MAX_AGE_SECONDS)',
    () =>
      new SignJWT({ sub: alice, exp: 1e20 })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('login-service')
        .sign(new TextEncoder().encode(SECRET)),
  ],
])('%s is 401 INVALID_TOKEN and records nothing', async (_, make) => {
  const response = await h.http
    .post('/api/login-campaign')
    .set('authorization', `Bearer ${await make()}`)
    .send({ campaignId: 'tokens' });
  expect(response.status).toBe(401);
  expect(response.body).toMatchObject({ status: false, errorCode: 'INVALID_TOKEN' });
  expect(await h.api.stores.winners.count('tokens')).toBe(1);
});

test('GET /api/vouchers with an over-long bearer token is 401 INVALID_TOKEN too', async () => {
  const response = await h.http.get('/api/vouchers').set('authorization', `Bearer ${'A'.repeat(5_000)}`);
  expect(response.status).toBe(401);
  expect(response.body.errorCode).toBe('INVALID_TOKEN');
});

test('the identity provider is trusted: a verified token for a user this service never saw wins and sees its voucher', async () => {
  // Token login exists for users of the app's own login service; its signature is the proof of identity.
  const newcomer = await tokenFor('created-in-the-login-service-after-our-last-sync');
  const won = await h.http
    .post('/api/login-campaign')
    .set('authorization', `Bearer ${newcomer}`)
    .send({ campaignId: 'tokens' });
  expect(won.status).toBe(200);
  expect(won.body).toMatchObject({ status: true, campaigns: [{ outcome: 'won' }] });
  const vouchers = await h.http.get('/api/vouchers').set('authorization', `Bearer ${newcomer}`);
  expect(vouchers.body.vouchers).toEqual([expect.objectContaining({ campaignId: 'tokens', status: 'pending' })]);
});

describe('token logins and the login limits', () => {
  let limited: Harness;
  beforeAll(async () => {
    limited = await startHarness({
      JWT_SECRET: SECRET,
      JWT_ISSUER: 'login-service',
      RATE_LIMIT_PROFILE: 'standard',
      RATE_LIMIT_ACCOUNT_POINTS: '3',
      RATE_LIMIT_IP_POINTS: '100',
    });
    await limited.saveCampaign('tokens', { limit: 5 });
  });
  afterAll(async () => {
    await limited?.close();
  });

  test("count against the token user's own budget: the 4th in the window is 429, another user still passes", async () => {
    const send = async (sub: string) =>
      limited.http
        .post('/api/login-campaign')
        .set('authorization', `Bearer ${await tokenFor(sub)}`)
        .send({ campaignId: 'tokens' });
    for (let i = 0; i < 3; i++) expect((await send('busy-user')).status).toBe(200);
    const refused = await send('busy-user');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ errorCode: 'RATE_LIMITED', details: { scope: 'account' } });
    expect((await send('calm-user')).status).toBe(200);
  });

  test("password attempts under any account name cannot spend a token user's budget", async () => {
    for (const account of ['victim', 'user:victim']) {
      for (let i = 0; i < 3; i++) {
        const attempt = await limited.http.post('/api/login-campaign').send({ account, password: 'wrong-password' });
        expect(attempt.status).toBe(401);
      }
    }
    const byToken = await limited.http
      .post('/api/login-campaign')
      .set('authorization', `Bearer ${await tokenFor('victim')}`)
      .send({ campaignId: 'tokens' });
    expect(byToken.status).toBe(200);
  });
});
