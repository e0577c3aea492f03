import { request } from 'node:http';
import { connect } from 'node:net';

import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { DEV_ADMIN_PASSWORD } from '../../src/config';
import { startHarness, TEST_PASSWORD, type Harness } from '../support/harness';

/**
 * Nothing under /admin answers an anonymous caller, however the path is spelled, and no browser on another
 * site can drive an operator's admin writes. Requests are sent raw (node:http), so the path reaches the
 * server exactly as written: no client normalises case, dots, slashes or percent-escapes.
 */
let h: Harness;
const operator = `Basic ${Buffer.from(`admin:${DEV_ADMIN_PASSWORD}`).toString('base64')}`;

beforeAll(async () => {
  h = await startHarness();
  await h.registerUsers(3);
  await h.saveCampaign('spring', { limit: 5 });
  await h.login('user1', TEST_PASSWORD, 'spring');
  await h.startWorker();
  await h.drainQueue();
});
afterAll(async () => {
  await h?.close();
});

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawResponse> {
  const url = new URL(h.baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Every admin operation with a body that would do harm if it got through. */
const ADMIN_OPERATIONS: [method: string, path: string, body?: object][] = [
  ['GET', '/admin/campaigns'],
  ['POST', '/admin/campaigns', { id: 'pwned', limit: 1_000_000, discount: 100 }],
  ['GET', '/admin/campaigns/spring'],
  ['PATCH', '/admin/campaigns/spring', { endsAt: '2000-01-01T00:00:00Z', limit: 1_000_000 }],
  ['POST', '/admin/campaigns/spring/pause'],
  ['POST', '/admin/campaigns/spring/resume'],
  ['POST', '/admin/campaigns/spring/reset'],
  ['POST', '/admin/campaigns/spring/reconcile'],
  ['GET', '/admin/campaigns/spring/audit'],
  ['GET', '/admin/campaigns/spring/winners.csv'],
  ['GET', '/admin/queues'],
  ['GET', '/admin/queues/api/queues'],
  ['PUT', '/admin/queues/api/queues/voucher-issue/pause'],
  ['PUT', '/admin/queues/api/queues/voucher-issue/obliterate'],
  ['POST', '/admin/queues/api/queues/voucher-issue/add', { name: 'x', data: {} }],
];

/** The same path, spelled otherwise: case, trailing slash, percent-escaped letters, extra slashes, dot segments. */
function spellings(path: string): string[] {
  const [, first = '', ...rest] = path.split('/');
  const tail = rest.length === 0 ? '' : `/${rest.join('/')}`;
  return [
    path,
    path.toUpperCase(),
    `/Admin${tail}`,
    `/aDmIn${tail}`,
    `/${first}${tail.replace(/\/([a-z])/, (_, c: string) => `/${c.toUpperCase()}`)}`,
    `${path}/`,
    `/%41dmin${tail}`,
    `/%61dmin${tail}`,
    `/%61%64%6d%69%6e${tail}`,
    `/${first}${tail.replace(/\/([a-z])/, (_, c: string) => `/%${c.charCodeAt(0).toString(16)}`)}`,
    `//${first}${tail}`,
    `/${first}/${tail}`,
    `/${first}/.${tail}`,
    `/x/..${path}`,
    `${path}?x=1`,
    `${path};x`,
  ];
}

async function databaseState(): Promise<string> {
  const db = h.api.mongo.db;
  const dump = async (name: string) =>
    JSON.stringify(
      await db
        .collection(name)
        .find({}, { projection: { _id: 0 } })
        .sort({ createdAt: 1 })
        .toArray(),
    );
  const keys = await h.api.redis.keys(`${h.config.redis.keyPrefix}:{*`);
  const redis = await Promise.all(
    keys.sort().map(async (key) => `${key}=${JSON.stringify(await h.api.redis.dump(key))}`),
  );
  const jobs = await h.api.queues.voucherIssue.getJobCounts();
  return [
    await dump(COLLECTIONS.campaigns),
    await dump(COLLECTIONS.winners),
    await dump(COLLECTIONS.vouchers),
    await dump(COLLECTIONS.campaignLogins),
    await dump(COLLECTIONS.audit),
    ...redis,
    JSON.stringify(jobs),
    String(await h.api.queues.voucherIssue.isPaused()),
  ].join('\n');
}

/** Other methods on each route: none may tell an anonymous caller which routes exist (no 405, no OPTIONS 200). */
const OTHER_METHODS = ['OPTIONS', 'HEAD', 'PUT', 'DELETE', 'TRACE', 'PROPFIND'];

test('no spelling of any admin path reaches an admin handler without credentials, and nothing changes', async () => {
  const before = await databaseState();
  const answered: string[] = [];
  for (const [route, path, body] of ADMIN_OPERATIONS) {
    for (const [method, spelled] of [
      ...spellings(path).map((spelled) => [route, spelled] as const),
      ...OTHER_METHODS.map((other) => [other, path] as const),
    ]) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string> = payload === undefined ? {} : { 'content-type': 'application/json' };
      const own = method === route; // other methods go without a body (Node's client would not frame it)
      const response = await raw(method, spelled, own ? headers : {}, own ? payload : undefined);
      if (response.status !== 401 && response.status !== 404) answered.push(`${method} ${spelled}: ${response.status}`);
    }
  }
  expect(answered).toEqual([]);
  expect(await databaseState()).toBe(before);
  // Sanity: the same requests with the operator's credentials are served (so the matrix hit real routes).
  expect((await raw('GET', '/admin/campaigns', { authorization: operator })).status).toBe(200);
  expect((await raw('GET', '/admin/queues/api/queues', { authorization: operator })).status).toBe(200);
});

describe('cross-site admin writes', () => {
  const pause = (headers: Record<string, string>, body?: string) =>
    raw('POST', '/admin/campaigns/spring/pause', { authorization: operator, ...headers }, body);
  const paused = async () => (await h.api.stores.campaigns.findById('spring'))?.paused;

  test.each([
    ['an empty text/plain body', { 'content-type': 'text/plain' }, ''],
    ['a form body', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=1'],
    ['no content type at all', {}, undefined],
  ])('%s is refused with 415 and changes nothing', async (_, headers, body) => {
    const response = await pause(headers, body);
    expect(response.status).toBe(415);
    expect(JSON.parse(response.text)).toMatchObject({ errorCode: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(await paused()).toBe(false);
  });

  test.each([
    ['Origin of another site', { origin: 'https://evil.example' }],
    ['Origin "null" (a sandboxed page)', { origin: 'null' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site (a sibling subdomain)', { 'sec-fetch-site': 'same-site' }],
  ])('JSON with %s is refused with 403 CROSS_SITE_REQUEST and changes nothing', async (_, headers) => {
    const response = await pause({ 'content-type': 'application/json', ...headers });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.text)).toMatchObject({ errorCode: 'CROSS_SITE_REQUEST' });
    expect(await paused()).toBe(false);
  });

  test('a compressed body is refused with 415 (it could unpack to far more than the limit)', async () => {
    const gzip = await pause(
      { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': '2' },
      '{}',
    );
    expect(gzip.status).toBe(415);
    const board = await raw(
      'PUT',
      '/admin/queues/api/queues/voucher-issue/pause',
      { authorization: operator, 'content-type': 'application/json', 'content-encoding': 'deflate' },
      '{}',
    );
    expect(board.status).toBe(415);
    expect(await paused()).toBe(false);
  });

  test('a bodiless JSON write without Content-Length (curl -X POST -H content-type) is served', async () => {
    // Written by hand: Node's client would add a Content-Length: 0; curl sends no length at all.
    const url = new URL(h.baseUrl);
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(Number(url.port), url.hostname, () =>
        socket.write(
          `POST /admin/campaigns/spring/pause HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: ${operator}\r\n` +
            'Content-Type: application/json\r\nConnection: close\r\n\r\n',
        ),
      );
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(await paused()).toBe(true);
    await raw('POST', '/admin/campaigns/spring/resume', {
      authorization: operator,
      'content-type': 'application/json',
    });
    expect(await paused()).toBe(false);
  });

  test('the operator’s own page (same origin) and tools without browser headers are served', async () => {
    const host = new URL(h.baseUrl).host;
    const sameOrigin = await pause({
      'content-type': 'application/json',
      origin: `http://${host}`,
      'sec-fetch-site': 'same-origin',
    });
    expect(sameOrigin.status).toBe(200);
    const tool = await raw('POST', '/admin/campaigns/spring/resume', {
      authorization: operator,
      'content-type': 'application/json',
    });
    expect(tool.status).toBe(200);
    expect(await paused()).toBe(false);
  });

  test('Bull Board writes: another site is refused, a form body is 415, a 2 MB body and a chunked 64 KiB one are 413; its own page works', async () => {
    const board = (method: string, path: string, headers: Record<string, string>, body?: string) =>
      raw(method, `/admin/queues/api/queues/voucher-issue${path}`, { authorization: operator, ...headers }, body);
    const crossSite = await board('PUT', '/pause', { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    const form = await board('POST', '/add', { 'content-type': 'application/x-www-form-urlencoded' }, 'name=x');
    expect(form.status).toBe(415);
    const huge = JSON.stringify({ name: 'x', data: { pad: 'x'.repeat(2 * 1024 * 1024) } });
    const tooLarge = await board('POST', '/add', { 'content-type': 'application/json' }, huge);
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.text)).toMatchObject({ errorCode: 'PAYLOAD_TOO_LARGE' });
    // Chunked, so no Content-Length announces it: 64 KiB, over the 4 KiB limit and far under the board's own
    // parser's 1 MB, is refused by ours, in our error body.
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(h.baseUrl);
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/admin/queues/api/queues/voucher-issue/add',
          agent: false,
          headers: { authorization: operator, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.write('{"name":"x","data":{"pad":"');
      for (let i = 0; i < 8; i++) req.write('x'.repeat(8 * 1024));
      req.end('"}}');
    });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toMatchObject({ errorCode: 'PAYLOAD_TOO_LARGE' });
    expect(await h.api.queues.voucherIssue.isPaused()).toBe(false);
    const host = new URL(h.baseUrl).host;
    const own = await board('PUT', '/pause', { origin: `http://${host}`, 'sec-fetch-site': 'same-origin' });
    expect(own.status).toBe(200);
    expect(await h.api.queues.voucherIssue.isPaused()).toBe(true);
    await board('PUT', '/resume', {});
    expect(await h.api.queues.voucherIssue.isPaused()).toBe(false);
  });
});

test("only the board's own paths get its content policy, not a path that merely starts like them", async () => {
  const api = (await raw('GET', '/openapi.json')).headers['content-security-policy'];
  const lookalike = await raw('GET', '/admin/queuesX', { authorization: operator });
  expect(lookalike.status).toBe(404);
  expect(lookalike.headers['content-security-policy']).toBe(api);
  const board = await raw('GET', '/admin/queues', { authorization: operator });
  expect(board.status).toBe(200);
  expect(board.headers['content-security-policy']).not.toBe(api);
});

describe('Bull Board read-only', () => {
  let readOnly: Harness;
  beforeAll(async () => {
    readOnly = await startHarness({ BULL_BOARD_READ_ONLY: 'true' });
  });
  afterAll(async () => {
    await readOnly?.close();
  });

  test('every write is refused in our error body, "pause all" included; reading works', async () => {
    const board = (method: string, path: string) =>
      readOnly.http[method === 'GET' ? 'get' : 'put'](`/admin/queues/api/queues${path}`).set({
        authorization: operator,
      });
    for (const path of ['/pause', '/resume', '/voucher-issue/pause', '/voucher-issue/clean/failed']) {
      const refused = await board('PUT', path);
      expect({ path, status: refused.status, errorCode: refused.body.errorCode }).toEqual({
        path,
        status: 405,
        errorCode: 'METHOD_NOT_ALLOWED',
      });
    }
    expect(await readOnly.api.queues.voucherIssue.isPaused()).toBe(false);
    const listed = await board('GET', '');
    expect(listed.status).toBe(200);
    expect(listed.body.queues.map((queue: { name: string }) => queue.name)).toContain('voucher-issue');
  });
});

describe('behind a trusted proxy', () => {
  let proxied: Harness;
  beforeAll(async () => {
    proxied = await startHarness({ TRUST_PROXY: 'true', ADMIN_FAILURES_ALLOWED: '3' });
    await proxied.saveCampaign('autumn', { limit: 5 });
  });
  afterAll(async () => {
    await proxied?.close();
  });
  const post = (path: string, headers: Record<string, string>) =>
    proxied.http.post(path).set({ 'content-type': 'application/json', ...headers });

  test('X-Forwarded-Host cannot make another site’s Origin look like ours', async () => {
    const forged = await post('/admin/campaigns/autumn/pause', {
      authorization: operator,
      origin: 'https://evil.example',
      'x-forwarded-host': 'evil.example',
    });
    expect(forged.status).toBe(403);
    expect((await proxied.api.stores.campaigns.findById('autumn'))?.paused).toBe(false);
  });

  test('guessing the operator’s password backs off the guessing address only, even for the right password', async () => {
    const guess = (password: string, address: string) =>
      proxied.http
        .get('/admin/campaigns')
        .set('x-forwarded-for', address)
        .set('authorization', `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`);
    for (let i = 0; i < 3; i++) expect((await guess(`guess-${i}`, '203.0.113.66')).status).toBe(401);
    const locked = await guess(DEV_ADMIN_PASSWORD, '203.0.113.66');
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ errorCode: 'RATE_LIMITED', details: { scope: 'client' } });
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await guess(DEV_ADMIN_PASSWORD, '198.51.100.20')).status).toBe(200); // the operator, elsewhere
    // A browser's first request carries no credentials: that is no guess.
    for (let i = 0; i < 5; i++) {
      expect((await proxied.http.get('/admin/campaigns').set('x-forwarded-for', '198.51.100.21')).status).toBe(401);
    }
    expect((await guess(DEV_ADMIN_PASSWORD, '198.51.100.21')).status).toBe(200);
  });
});
