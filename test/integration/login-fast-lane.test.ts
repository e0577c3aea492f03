import { SignJWT } from 'jose';
import supertest from 'supertest';

import { startHarness, TEST_PASSWORD, type Harness } from '../support/harness';

/**
 * The token login's fast lane (login-fast-lane.ts) answers in front of Koa. Every answer it gives must be
 * the one the Koa route gives to the same request: status, body, and every header but the date and a
 * fresh request id. Each case is sent once through the served listener (the lane) and once straight to
 * the Koa app, by different users where the user matters.
 */
const SECRET = 'test-secret-for-the-fast-lane-0123456789abcdef';
let h: Harness;
let koa: ReturnType<typeof supertest>;

beforeAll(async () => {
  h = await startHarness({ JWT_SECRET: SECRET, RATE_LIMIT_ACCOUNT_POINTS: '3' });
  koa = supertest(h.api.app.callback());
  await h.saveCampaign('lane', { limit: 2 });
  await h.saveCampaign('lane-full', { limit: 1 });
});
afterAll(async () => {
  await h?.close();
});

const tokenFor = (sub: string, expiresIn = '5m') =>
  new SignJWT({ sub })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(SECRET));

type Send = (http: ReturnType<typeof supertest>, user: string) => Promise<supertest.Response>;

/**
 * What must match: status, body (user ids made alike), headers but Date and a fresh X-Request-Id. Two
 * winners differ in what is theirs (slot, voucher code, expiry, so the length too): those become types.
 */
function comparable(response: supertest.Response, user: string, winners: boolean) {
  const { date, 'x-request-id': requestId, ...headers } = response.headers as Record<string, string>;
  expect(date).toEqual(expect.any(String));
  expect(requestId).toEqual(expect.any(String));
  const body = JSON.parse(JSON.stringify(response.body).replaceAll(user, '<user>'), (key, value: unknown) =>
    winners && ['slot', 'code', 'expireDate'].includes(key) ? typeof value : value,
  ) as unknown;
  if (winners) headers['content-length'] = 'a number';
  return { status: response.status, headers, body };
}

async function expectSameAnswer(send: Send, winners = false): Promise<supertest.Response> {
  const id = Math.random().toString(36).slice(2);
  const viaLane = await send(h.http, `L-${id}`);
  const viaKoa = await send(koa, `K-${id}`);
  expect(comparable(viaLane, `L-${id}`, winners)).toEqual(comparable(viaKoa, `K-${id}`, winners));
  return viaLane;
}

const post = (http: ReturnType<typeof supertest>, token: string) =>
  http.post('/api/login-campaign').set('authorization', `Bearer ${token}`);

test('won, then full (decided at once), then already_won: the same answers as the Koa route', async () => {
  const won = await expectSameAnswer(
    async (http, user) => post(http, await tokenFor(user)).send({ campaignId: 'lane' }),
    true,
  );
  expect(won.body).toMatchObject({ status: true, campaigns: [{ outcome: 'won' }] });
  // The campaign is now full (2 of 2); a first loser teaches this process's view, then the view answers.
  await post(h.http, await tokenFor('teacher')).send({ campaignId: 'lane' });
  const full = await expectSameAnswer(async (http, user) =>
    post(http, await tokenFor(user)).send({ campaignId: 'lane' }),
  );
  expect(full.body).toMatchObject({ status: false, errorCode: 'CAMPAIGN_FULL', campaigns: [{ outcome: 'full' }] });
  const again = await post(h.http, await tokenFor(won.body.userId as string)).send({ campaignId: 'lane' });
  expect(again.body.campaigns).toEqual([expect.objectContaining({ outcome: 'already_won' })]);
});

test.each([
  [
    'a token signed with another secret',
    () => 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5fQ.AAAA',
    '{"campaignId":"lane"}',
  ],
  ['a malformed bearer token', () => 'not a token!', '{"campaignId":"lane"}'],
  ['an unknown field', null, '{"campaignId":"lane","extra":1}'],
  ['a campaign id that breaks the rules', null, '{"campaignId":"a{b}"}'],
  ['a campaign id of the wrong type', null, '{"campaignId":5}'],
  ['an array', null, '[]'],
  ['a bare string', null, '"lane"'],
  ['null', null, 'null'],
  ['malformed JSON', null, '{"campaignId":'],
  ['a __proto__ key', null, '{"__proto__":{"x":1}}'],
  ['an unknown campaign', null, '{"campaignId":"no-such-campaign"}'],
])('%s: the same error answer', async (_, token, body) => {
  const response = await expectSameAnswer(async (http, user) =>
    post(http, token === null ? await tokenFor(user) : token())
      .set('content-type', 'application/json')
      .send(body),
  );
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.body).toMatchObject({ status: false, errorCode: expect.any(String) });
});

test('password logins: right, wrong, unknown, incomplete: the same answers as the Koa route', async () => {
  const accounts = await h.registerUsers(2, 'lanepw');
  await h.saveCampaign('lane-pw', { limit: 1 });
  await post(h.http, await tokenFor('lane-pw-filler')).send({ campaignId: 'lane-pw' });
  const byPassword = (account: string, password: string) => (http: ReturnType<typeof supertest>) =>
    http.post('/api/login-campaign').send({ account, password, campaignId: 'lane-pw' });
  // The same account both ways would be one user: two accounts, each answered full (the campaign is full).
  const viaLane = await byPassword(accounts[0] as string, TEST_PASSWORD)(h.http);
  const viaKoa = await byPassword(accounts[1] as string, TEST_PASSWORD)(koa);
  expect(viaLane.body).toMatchObject({ status: false, errorCode: 'CAMPAIGN_FULL' });
  expect(comparable(viaLane, viaLane.body.userId as string, false)).toEqual(
    comparable(viaKoa, viaKoa.body.userId as string, false),
  );
  for (const [account, password] of [
    [accounts[0], 'wrong-password'],
    ['no-such-account', 'whatever-password'],
    [accounts[0], ''],
  ]) {
    await expectSameAnswer((http) => byPassword(account as string, password as string)(http));
  }
});

test('an expired token and a rate-limited user: the same refusals, 429 with Retry-After', async () => {
  await expectSameAnswer(async (http, user) => post(http, await tokenFor(user, '-1m')).send({ campaignId: 'lane' }));
  const limited = await expectSameAnswer(async (http, user) => {
    const token = await tokenFor(user);
    for (let i = 0; i < 3; i += 1) await post(http, token).send({ campaignId: 'lane-full' });
    return post(http, token).send({ campaignId: 'lane-full' });
  });
  expect(limited.status).toBe(429);
  expect(limited.headers['retry-after']).toEqual(expect.stringMatching(/^\d+$/));
});

test('a client request id is echoed by both', async () => {
  for (const http of [h.http, koa]) {
    const response = await post(http, await tokenFor(`echo-${Math.random()}`))
      .set('x-request-id', 'client-chosen-id-1')
      .send({ campaignId: 'lane' });
    expect(response.headers['x-request-id']).toBe('client-chosen-id-1');
  }
});

test('every answer of the lane is counted and logged as the route is', async () => {
  const before = await h.metricsHttp.get('/metrics');
  const count = (text: string) =>
    Number(
      /promotion_http_requests_total\{method="POST",route="\/api\/login-campaign",status="200",outcome="CAMPAIGN_FULL"\} (\d+)/.exec(
        text,
      )?.[1] ?? 0,
    );
  await post(h.http, await tokenFor(`counted-${Math.random()}`)).send({ campaignId: 'lane' });
  const after = await h.metricsHttp.get('/metrics');
  expect(count(after.text)).toBe(count(before.text) + 1);
});

// Spellings an outside attack found judged differently by the lane and Koa when the lane matched loosely.
test.each([
  ['an upper-case content type', { 'content-type': 'APPLICATION/JSON' }, '{"campaignId":"lane"}'],
  ['a space before the charset', { 'content-type': 'application/json ; charset=utf-8' }, '{"campaignId":"lane"}'],
  ['charset in capitals', { 'content-type': 'application/json; charset=UTF-8' }, '{"campaignId":"lane"}'],
  ['another charset', { 'content-type': 'application/json; charset=utf-16' }, '{"campaignId":"lane"}'],
  [
    'encoding IDENTITY',
    { 'content-type': 'application/json', 'content-encoding': 'IDENTITY' },
    '{"campaignId":"lane"}',
  ],
  [
    'encoding identity',
    { 'content-type': 'application/json', 'content-encoding': 'identity' },
    '{"campaignId":"lane"}',
  ],
  ['a byte order mark', { 'content-type': 'application/json' }, '\uFEFF{"campaignId":"lane"}'],
])('%s: the same answer', async (_, headers, body) => {
  await expectSameAnswer(async (http, user) =>
    post(http, await tokenFor(user))
      .set(headers)
      .send(body),
  );
});
