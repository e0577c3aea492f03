import { connect } from 'node:net';

import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { DEV_ADMIN_PASSWORD } from '../../src/config';
import { watchDatabaseCalls } from '../support/database-calls';
import { startHarness, TEST_PASSWORD, type Harness } from '../support/harness';

let h: Harness;
const operator = `Basic ${Buffer.from(`admin:${DEV_ADMIN_PASSWORD}`).toString('base64')}`;

beforeAll(async () => {
  h = await startHarness({ LOGIN_FANOUT_MAX: '3', HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_HEADERS_TIMEOUT_MS: '1000' });
  await h.registerUsers(3);
});
afterAll(async () => {
  await h?.close();
});

const count = (collection: string) => h.api.mongo.db.collection(collection).countDocuments({});

describe('fan-out: a login without campaignId claims in at most LOGIN_FANOUT_MAX campaigns', () => {
  test('with 3 running it claims in all 3; with 4 it is 400 CAMPAIGN_ID_REQUIRED and records nothing', async () => {
    for (const id of ['f1', 'f2', 'f3']) await h.saveCampaign(id, { limit: 10 });
    const three = await h.login('user1');
    expect(three.status).toBe(200);
    expect(three.body.campaigns?.map((c) => c.outcome)).toEqual(['won', 'won', 'won']);

    await h.saveCampaign('f4', { limit: 10 });
    const [winners, logins] = [await count(COLLECTIONS.winners), await count(COLLECTIONS.campaignLogins)];
    const four = await h.login('user2');
    expect(four.status).toBe(400);
    expect(four.body).toMatchObject({ status: false, errorCode: 'CAMPAIGN_ID_REQUIRED', details: { max: 3 } });
    expect([await count(COLLECTIONS.winners), await count(COLLECTIONS.campaignLogins)]).toEqual([winners, logins]);

    const named = await h.login('user2', TEST_PASSWORD, 'f4');
    expect(named.body.campaigns).toEqual([expect.objectContaining({ campaignId: 'f4', outcome: 'won' })]);
  });
});

describe('answers never echo input', () => {
  test('an unknown key is refused without naming it, however long it is', async () => {
    const key = `k${'x'.repeat(3_000)}`;
    const response = await h.http
      .post('/api/login-campaign')
      .send({ account: 'user1', password: TEST_PASSWORD, [key]: 1 });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).not.toContain('xxxxxxxx');
    expect(response.body.details.problems).toEqual([
      { path: '', message: 'unknown field: only the documented fields are accepted' },
    ]);
  });

  test('an unknown campaign is 404 without the id that was sent', async () => {
    const response = await h.login('user1', TEST_PASSWORD, 'no-such-campaign-sent-by-the-caller');
    expect(response.status).toBe(404);
    expect(response.body.errorCode).toBe('CAMPAIGN_NOT_FOUND');
    expect(JSON.stringify(response.body)).not.toContain('no-such-campaign');
    const admin = await h.http.get('/admin/campaigns/no-such-campaign-either').set('authorization', operator);
    expect(admin.status).toBe(404);
    expect(JSON.stringify(admin.body)).not.toContain('no-such-campaign');
  });
});

describe('control characters', () => {
  test.each([
    ['NUL', 'user1\u0000'],
    ['a line break', 'user1\nadmin'],
    ['an escape', 'user\u001b[31m1'],
    ['DEL', 'user1\u007f'],
  ])('%s in the account is 400 INVALID_REQUEST, before any database call', async (_, account) => {
    const watch = await watchDatabaseCalls(h.api);
    try {
      const response = await h.http.post('/api/login-campaign').send({ account, password: TEST_PASSWORD });
      expect(response.status).toBe(400);
      expect(response.body.details.problems).toEqual([{ path: 'account', message: 'no control characters' }]);
      expect(watch.mongoCommands).toEqual([]);
    } finally {
      watch.stop();
    }
  });

  test.each([
    ['high', 'z\ud800'],
    ['low', '\udc00z'],
  ])(
    'an unpaired %s surrogate in the account is 400 INVALID_REQUEST (it would be U+FFFD to the database)',
    async (_, account) => {
      const response = await h.http.post('/api/login-campaign').send({ account, password: TEST_PASSWORD });
      expect(response.status).toBe(400);
      expect(response.body.details.problems).toEqual([{ path: 'account', message: 'no unpaired surrogates' }]);
      // A pair is a character like any other: an emoji in the account is only an unknown account.
      const emoji = await h.http
        .post('/api/login-campaign')
        .send({ account: 'z\ud83d\ude00', password: TEST_PASSWORD });
      expect(emoji.status).toBe(401);
    },
  );

  test.each([
    ['NUL', 'a\u0000b'],
    ['a right-to-left override', 'gift \u202ecod'],
    ['a zero-width space', 'free\u200bvoucher'],
  ])('a campaign name with %s is refused by the admin API', async (_, name) => {
    const response = await h.http.post('/admin/campaigns').set('authorization', operator).send({ id: 'nul', name });
    expect(response.status).toBe(400);
    expect(await h.api.stores.campaigns.findById('nul')).toBeNull();
  });

  test('the audit log of a campaign that does not exist is 404', async () => {
    const response = await h.http.get('/admin/campaigns/never-created/audit').set('authorization', operator);
    expect(response.status).toBe(404);
    expect(response.body.errorCode).toBe('CAMPAIGN_NOT_FOUND');
  });

  test('a compressed login body is 415, before any database call', async () => {
    const response = await h.http
      .post('/api/login-campaign')
      .set('content-type', 'application/json')
      .set('content-encoding', 'gzip')
      .send('{"account":"user1","password":"x"}');
    expect(response.status).toBe(415);
  });
});

describe('slow clients', () => {
  /** Opens a socket, sends `start`, then trickles a byte every 200 ms; resolves when the server closes it. */
  function trickle(start: string): Promise<{ ms: number; answer: string }> {
    const url = new URL(h.baseUrl);
    return new Promise((resolve, reject) => {
      const began = Date.now();
      let answer = '';
      const socket = connect(Number(url.port), url.hostname, () => socket.write(start));
      const drip = setInterval(() => socket.write('x'), 200);
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      socket.on('close', () => {
        clearInterval(drip);
        resolve({ ms: Date.now() - began, answer });
      });
      socket.on('error', (error) => {
        clearInterval(drip);
        reject(error);
      });
      setTimeout(() => socket.destroy(new Error('the server kept a slow client for 20 s')), 20_000).unref();
    });
  }

  test('a body that trickles in is cut off at HTTP_REQUEST_TIMEOUT_MS (408), not held for minutes', async () => {
    const { ms, answer } = await trickle(
      'POST /api/login-campaign HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(2_000 + 2_500); // the timeout, plus Node's once-a-second check, plus slack
  });

  test('headers that trickle in are cut off at HTTP_HEADERS_TIMEOUT_MS', async () => {
    const { ms } = await trickle('POST /api/login-campaign HTTP/1.1\r\nX-Slow: ');
    expect(ms).toBeLessThan(1_000 + 2_500);
  });
});
