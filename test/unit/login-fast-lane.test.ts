import { request as httpRequest, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

import supertest from 'supertest';

import { withLoginFastLane } from '../../src/adapters/http/login-fast-lane';
import type { Metrics } from '../../src/adapters/http/metrics';
import { createHttpServer, listen } from '../../src/adapters/http/server';
import { silentLogger } from '../../src/adapters/silent-logger';
import { unitWorld } from '../support/fakes/unit-world';

/**
 * Which requests the fast lane answers and which it leaves to Koa, untouched (a stand-in that answers 299
 * here). The lane's answers themselves are held to the Koa route's in test/integration/login-fast-lane.test.ts.
 */
const world = unitWorld();
const koaCalls: string[] = [];
const koa: RequestListener = (request, response) => {
  koaCalls.push(`${request.method} ${request.url}`);
  request.resume();
  request.on('end', () => response.writeHead(299).end('koa'));
};
let shuttingDown = false;
const metrics = { observeRequest: () => {}, observeClaims: () => {} } as unknown as Metrics;
const listener = withLoginFastLane(koa, {
  login: world.login,
  proxy: { trusted: false, hops: 1 },
  metrics,
  logger: silentLogger,
  requestLogger: silentLogger,
  bodyLimitBytes: 64,
  deadline: { ms: 1_000, logger: silentLogger },
  retryAfterSeconds: 1,
  isShuttingDown: () => shuttingDown,
});
const http = supertest(listener);
const TOKEN = 'Bearer token-for.someone';

beforeAll(async () => {
  await world.saveCampaign.execute('c', { limit: 5, startsAt: world.clock.now() });
});
beforeEach(() => {
  koaCalls.length = 0;
  shuttingDown = false;
});

/** Answered by the lane: a JSON answer of the login, and Koa never asked. */
async function expectLane(response: supertest.Response | Promise<supertest.Response>) {
  const answer = await response;
  expect(koaCalls).toEqual([]);
  expect(answer.status).not.toBe(299);
  expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(answer.headers['content-security-policy']).toContain("default-src 'none'");
  expect(answer.headers['x-request-id']).toEqual(expect.any(String));
  return answer;
}

async function expectKoa(response: supertest.Response | Promise<supertest.Response>) {
  expect((await response).status).toBe(299);
  expect(koaCalls).toHaveLength(1);
}

test('a token login with a small JSON body is the lane’s, with charset utf-8 too', async () => {
  const won = await expectLane(http.post('/api/login-campaign').set('authorization', TOKEN).send({ campaignId: 'c' }));
  expect(won.body).toMatchObject({ status: true, userId: 'someone', campaigns: [{ outcome: 'won' }] });
  await expectLane(
    http
      .post('/api/login-campaign')
      .set('authorization', 'bearer token-for.other')
      .set('content-type', 'application/json; charset=UTF-8')
      .send('{"campaignId":"c"}'),
  );
  const invalid = await expectLane(
    http.post('/api/login-campaign').set('authorization', TOKEN).set('content-type', 'application/json').send('[1]'),
  );
  expect(invalid.status).toBe(400);
});

test('password logins are the lane’s too: a wrong password, a body without one', async () => {
  const wrong = await expectLane(
    http.post('/api/login-campaign').send({ account: 'a', password: 'b', campaignId: 'c' }),
  );
  expect(wrong.status).toBe(401);
  expect(wrong.body).toMatchObject({ errorCode: 'INVALID_CREDENTIALS' });
  const basic = await expectLane(
    http.post('/api/login-campaign').set('authorization', 'Basic YTpi').send({ campaignId: 'c' }),
  );
  expect(basic.status).toBe(400);
});

test.each([
  [
    'another content type',
    (r: supertest.Test) => r.set('authorization', TOKEN).set('content-type', 'text/plain').send('{}'),
  ],
  [
    'another charset',
    (r: supertest.Test) =>
      r.set('authorization', TOKEN).set('content-type', 'application/json; charset=latin1').send('{}'),
  ],
  [
    'a compressed body',
    (r: supertest.Test) =>
      r.set('authorization', TOKEN).set('content-type', 'application/json').set('content-encoding', 'gzip').send('{}'),
  ],
  ['a body over the limit', (r: supertest.Test) => r.set('authorization', TOKEN).send({ campaignId: 'c'.repeat(80) })],
  ['no body', (r: supertest.Test) => r.set('authorization', TOKEN)],
])('%s goes to Koa', async (_, build) => {
  await expectKoa(build(http.post('/api/login-campaign')));
});

test.each([
  ['another method', () => http.get('/api/login-campaign').set('authorization', TOKEN)],
  ['a query string', () => http.post('/api/login-campaign?x=1').set('authorization', TOKEN).send({ campaignId: 'c' })],
  ['another spelling', () => http.post('/API/login-campaign').set('authorization', TOKEN).send({ campaignId: 'c' })],
  ['a trailing slash', () => http.post('/api/login-campaign/').set('authorization', TOKEN).send({ campaignId: 'c' })],
  ['another route', () => http.post('/admin/campaigns').set('authorization', TOKEN).send({ campaignId: 'c' })],
])('%s goes to Koa', async (_, send) => {
  await expectKoa(send());
});

test('a chunked body (no length) goes to Koa', async () => {
  const server = createHttpServer(listener, { requestTimeoutMs: 5_000, headersTimeoutMs: 5_000 });
  await listen(server, 0, '127.0.0.1');
  try {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const request = httpRequest(
        {
          port: (server.address() as AddressInfo).port,
          method: 'POST',
          path: '/api/login-campaign',
          headers: { authorization: TOKEN, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode);
        },
      );
      request.on('error', reject);
      request.end('{"campaignId":"c"}');
    });
    expect(status).toBe(299);
  } finally {
    server.close();
  }
});

test('while shutting down, Koa answers (it closes each connection after its answer)', async () => {
  shuttingDown = true;
  await expectKoa(http.post('/api/login-campaign').set('authorization', TOKEN).send({ campaignId: 'c' }));
});
