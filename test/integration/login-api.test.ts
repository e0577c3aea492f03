import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { campaignKeys } from '../../src/adapters/redis/keys';
import { watchDatabaseCalls } from '../support/database-calls';
import { startHarness, TEST_PASSWORD, type Harness } from '../support/harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await h.registerUsers(10);
});
afterAll(async () => {
  await h?.close();
});

const count = (collection: string, filter: object = {}) => h.api.mongo.db.collection(collection).countDocuments(filter);
const basic = (account: string, password: string) =>
  `Basic ${Buffer.from(`${account}:${password}`).toString('base64')}`;

describe('with no campaign running', () => {
  test('a login answers NO_ACTIVE_CAMPAIGN with status false and HTTP 200', async () => {
    const { status, body } = await h.login('user1');
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: false, errorCode: 'NO_ACTIVE_CAMPAIGN', campaigns: [] });
  });
});

describe('a winner', () => {
  test('sees the same slot and voucher code on every later login', async () => {
    await h.saveCampaign('repeat', { limit: 3 });
    const first = await h.login('user1', TEST_PASSWORD, 'repeat');
    expect(first.body.campaigns?.[0]).toMatchObject({ outcome: 'won', slot: 1 });
    const code = first.body.campaigns?.[0]?.voucher?.code;
    expect(code).toMatch(/^PV-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$/);

    for (let i = 0; i < 3; i++) {
      const again = await h.login('user1', TEST_PASSWORD, 'repeat');
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ status: true, errorCode: null });
      expect(again.body.campaigns?.[0]).toMatchObject({ outcome: 'already_won', slot: 1, voucher: { code } });
    }
    expect(await count(COLLECTIONS.winners, { campaignId: 'repeat' })).toBe(1);
    expect(await count(COLLECTIONS.campaignLogins, { campaignId: 'repeat' })).toBe(1);
  });

  test('lists the voucher as pending until the worker writes it, then as issued', async () => {
    await h.saveCampaign('listing', { limit: 1, discount: 25 });
    await h.login('user2', TEST_PASSWORD, 'listing');
    const pending = await h.http.get('/api/vouchers').set('authorization', basic('user2', TEST_PASSWORD));
    expect(pending.status).toBe(200);
    expect(pending.body.vouchers).toEqual([
      expect.objectContaining({ campaignId: 'listing', status: 'pending', discount: 25 }),
    ]);

    await h.startWorker();
    await h.drainQueue();
    const issued = await h.http.get('/api/vouchers').set('authorization', basic('user2', TEST_PASSWORD));
    expect(issued.body.vouchers).toEqual([
      expect.objectContaining({ campaignId: 'listing', status: 'issued', code: pending.body.vouchers[0].code }),
    ]);
  });

  test('GET /api/vouchers refuses missing or wrong credentials with 401', async () => {
    const missing = await h.http.get('/api/vouchers');
    expect(missing.status).toBe(401);
    expect(missing.body.errorCode).toBe('INVALID_CREDENTIALS');
    const wrong = await h.http.get('/api/vouchers').set('authorization', basic('user2', 'nope'));
    expect(wrong.status).toBe(401);
  });
});

describe('outcomes other than winning', () => {
  test('a full campaign answers CAMPAIGN_FULL, to a loser who logs in again too', async () => {
    await h.saveCampaign('tiny', { limit: 1 });
    expect((await h.login('user3', TEST_PASSWORD, 'tiny')).body.campaigns?.[0]?.outcome).toBe('won');
    const loser = await h.login('user4', TEST_PASSWORD, 'tiny');
    expect(loser.status).toBe(200);
    expect(loser.body).toMatchObject({ status: false, errorCode: 'CAMPAIGN_FULL' });
    expect(loser.body.campaigns?.[0]).toMatchObject({ outcome: 'full' });
    expect(loser.body.campaigns?.[0]?.slot).toBeUndefined();
    const again = await h.login('user4', TEST_PASSWORD, 'tiny');
    expect(again.body).toMatchObject({ status: false, errorCode: 'CAMPAIGN_FULL' });
  });

  test('a paused campaign answers CAMPAIGN_PAUSED to newcomers but still tells its winners', async () => {
    await h.saveCampaign('pausable', { limit: 5 });
    await h.login('user5', TEST_PASSWORD, 'pausable');
    await h.saveCampaign('pausable', { paused: true });
    expect((await h.login('user6', TEST_PASSWORD, 'pausable')).body).toMatchObject({
      status: false,
      errorCode: 'CAMPAIGN_PAUSED',
    });
    expect((await h.login('user5', TEST_PASSWORD, 'pausable')).body.campaigns?.[0]?.outcome).toBe('already_won');
    await h.saveCampaign('pausable', { paused: false });
    expect((await h.login('user6', TEST_PASSWORD, 'pausable')).body.campaigns?.[0]).toMatchObject({
      outcome: 'won',
      slot: 2,
    });
  });

  test('a campaign outside its window answers CAMPAIGN_NOT_ACTIVE and records nothing', async () => {
    const tomorrow = new Date(Date.now() + 24 * 60 * 60 * 1000);
    await h.saveCampaign('later', { startsAt: tomorrow });
    const { status, body } = await h.login('user7', TEST_PASSWORD, 'later');
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: false, errorCode: 'CAMPAIGN_NOT_ACTIVE' });
    expect(await count(COLLECTIONS.campaignLogins, { campaignId: 'later' })).toBe(0);
  });

  test('an unknown campaign id answers 404 CAMPAIGN_NOT_FOUND', async () => {
    const { status, body } = await h.login('user7', TEST_PASSWORD, 'no-such-campaign');
    expect(status).toBe(404);
    expect(body).toMatchObject({ status: false, errorCode: 'CAMPAIGN_NOT_FOUND' });
  });

  test('without a campaign id the login counts for every campaign running now', async () => {
    const { body } = await h.login('user8');
    const outcomes = Object.fromEntries((body.campaigns ?? []).map((c) => [c.campaignId, c.outcome]));
    expect(outcomes).toMatchObject({ repeat: 'won', listing: 'full', tiny: 'full', pausable: 'won' });
    expect(outcomes.later).toBeUndefined(); // not running yet, so not a target
    expect(body.status).toBe(true);
  });
});

describe('bad credentials', () => {
  test.each([
    ['a wrong password', 'user9', 'wrong password'],
    ['an unknown account', 'nobody', TEST_PASSWORD],
  ])('%s gives 401 INVALID_CREDENTIALS and records nothing', async (_, account, password) => {
    await h.saveCampaign('guarded', { limit: 10 });
    const { status, body } = await h.login(account, password, 'guarded');
    expect(status).toBe(401);
    expect(body).toEqual({
      status: false,
      errorCode: 'INVALID_CREDENTIALS',
      errorMessage: 'Account or password is incorrect.',
    });
    expect(await count(COLLECTIONS.campaignLogins, { campaignId: 'guarded' })).toBe(0);
    expect(await count(COLLECTIONS.winners, { campaignId: 'guarded' })).toBe(0);
    expect(await h.api.redis.get(campaignKeys(h.config.redis.keyPrefix, 'guarded').counter)).toBe('0');
  });
});

describe('bad input is refused at the edge, before any database or Redis call', () => {
  const cases = [
    {
      label: 'malformed JSON',
      contentType: 'application/json',
      payload: '{"account": "user1", "password": ',
      status: 400,
      errorCode: 'INVALID_REQUEST',
    },
    {
      label: 'a missing password',
      contentType: 'application/json',
      payload: '{"account":"user1"}',
      status: 400,
      errorCode: 'INVALID_REQUEST',
    },
    {
      label: 'an object where a string belongs',
      contentType: 'application/json',
      payload: '{"account":{"$ne":""},"password":"x"}',
      status: 400,
      errorCode: 'INVALID_REQUEST',
    },
    {
      label: 'a number where a string belongs',
      contentType: 'application/json',
      payload: '{"account":"user1","password":12345}',
      status: 400,
      errorCode: 'INVALID_REQUEST',
    },
    {
      label: 'an unknown field',
      contentType: 'application/json',
      payload: `{"account":"user1","password":"x","admin":true}`,
      status: 400,
      errorCode: 'INVALID_REQUEST',
    },
    {
      label: 'a campaign id with a hash tag',
      contentType: 'application/json',
      payload: '{"account":"u","password":"x","campaignId":"a{b}"}',
      status: 400,
      errorCode: 'INVALID_REQUEST',
    },
    { label: 'an empty body', contentType: 'application/json', payload: '', status: 400, errorCode: 'INVALID_REQUEST' },
    {
      label: 'a JSON array',
      contentType: 'application/json',
      payload: '["user1","x"]',
      status: 400,
      errorCode: 'INVALID_REQUEST',
    },
    {
      label: 'a form body',
      contentType: 'application/x-www-form-urlencoded',
      payload: 'account=user1&password=x',
      status: 415,
      errorCode: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      label: 'a text body',
      contentType: 'text/plain',
      payload: 'account=user1',
      status: 415,
      errorCode: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      label: 'an oversized body',
      contentType: 'application/json',
      payload: JSON.stringify({ account: 'a', password: 'x'.repeat(10_000) }),
      status: 413,
      errorCode: 'PAYLOAD_TOO_LARGE',
    },
  ];

  test.each(cases)('$label → $status $errorCode', async ({ contentType, payload, status, errorCode }) => {
    const calls = await watchDatabaseCalls(h.api);
    try {
      const response = await h.http.post('/api/login-campaign').set('content-type', contentType).send(payload);
      expect(response.status).toBe(status);
      expect(response.body).toMatchObject({ status: false, errorCode });
      expect(JSON.stringify(response.body)).not.toMatch(/\bat \w+ \(|node_modules/); // no stack trace
      expect(calls.mongoCommands).toEqual([]);
      expect(calls.redisCommands()).toBe(0);
    } finally {
      calls.stop();
    }
  });

  test('the monitoring above does see the queries of a valid login', async () => {
    const calls = await watchDatabaseCalls(h.api);
    try {
      await h.login('user10');
      expect(calls.mongoCommands).toContain('find');
      expect(calls.redisCommands()).toBeGreaterThan(0);
    } finally {
      calls.stop();
    }
  });

  test('unknown routes and methods get JSON errors', async () => {
    const missing = await h.http.get('/api/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ status: false, errorCode: 'NOT_FOUND' });
    const wrongMethod = await h.http.get('/api/login-campaign');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body).toMatchObject({ status: false, errorCode: 'METHOD_NOT_ALLOWED' });
  });
});
