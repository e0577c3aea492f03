import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { SignJWT } from 'jose';
import type { Response } from 'supertest';

import { campaignKeys } from '../../src/adapters/redis/keys';
import { DEV_ADMIN_PASSWORD } from '../../src/config';
import { startHarness, TEST_PASSWORD, type Harness } from '../support/harness';

/**
 * The OpenAPI document stays true: real answers of the running app, for every documented operation, are
 * validated against the document's own schemas (and required headers), and nothing the app answers is
 * missing from it. A second app with tight limits answers 429 wherever a limit applies.
 */
type Declared = { content?: Record<string, { schema: object }>; headers?: Record<string, { required?: boolean }> };
type Operation = { operationId?: string; security?: Record<string, string[]>[]; responses: Record<string, Declared> };
type SecurityScheme = { type: string; scheme?: string; bearerFormat?: string };
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, SecurityScheme> };
};
type Seen = { method: string; path: string; response: Response };

let h: Harness;
let doc: Document;
const seen: Seen[] = [];
const admin = `Basic ${Buffer.from(`admin:${DEV_ADMIN_PASSWORD}`).toString('base64')}`;
const user = `Basic ${Buffer.from(`user1:${TEST_PASSWORD}`).toString('base64')}`;

beforeAll(async () => {
  h = await startHarness();
  await h.registerUsers(3);
  doc = (await h.http.get('/openapi.json')).body as Document;
});
afterAll(async () => {
  await h?.close();
});

async function call(
  method: 'get' | 'post' | 'patch',
  path: string,
  options: { auth?: string; body?: unknown; type?: string; headers?: Record<string, string> } = {},
) {
  let request = h.http[method](path);
  if (options.auth) request = request.set('authorization', options.auth);
  // Writes are JSON unless a test says otherwise (admin writes require it even without a body).
  const type = options.type ?? (method === 'get' ? undefined : 'application/json');
  if (type) request = request.set('content-type', type);
  for (const [name, value] of Object.entries(options.headers ?? {})) request = request.set(name, value);
  const response = await (options.body === undefined ? request : request.send(options.body as object));
  seen.push({ method, path, response });
  return response;
}

function operationFor(method: string, path: string): { template: string; operation: Operation } | null {
  for (const [template, operations] of Object.entries(doc.paths)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const operation = operations[method];
    if (pattern.test(path) && operation) return { template, operation };
  }
  return null;
}

/** Every documented operation: method, path template and the operation. */
function operations(): { method: string; template: string; operation: Operation }[] {
  return Object.entries(doc.paths).flatMap(([template, ops]) =>
    Object.entries(ops)
      .filter(([key]) => key !== 'parameters')
      .map(([method, operation]) => ({ method, template, operation })),
  );
}

/** What in these answers the document does not say: an undocumented status, content type, body or header. */
function undocumented(answers: readonly Seen[]): string[] {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const problems: string[] = [];
  for (const { method, path, response } of answers) {
    const found = operationFor(method, path);
    const declared = found?.operation.responses[String(response.status)];
    if (!found || !declared) {
      problems.push(`${method.toUpperCase()} ${path} answered ${response.status}, which the document does not list`);
      continue;
    }
    const where = `${method.toUpperCase()} ${found.template} ${response.status}`;
    for (const [name, header] of Object.entries(declared.headers ?? {})) {
      if (header.required && response.headers[name.toLowerCase()] === undefined) {
        problems.push(`${where}: required header ${name} missing`);
      }
    }
    const type = String(response.headers['content-type']).split(';')[0] as string;
    const content = declared.content?.[type];
    if (!content) {
      problems.push(`${where}: content type ${type} not documented`);
      continue;
    }
    if (type === 'application/json' && !ajv.validate(content.schema, response.body)) {
      problems.push(`${where}: ${ajv.errorsText(ajv.errors)}`);
    }
  }
  return problems;
}

test('every answer matches the document', async () => {
  const future = new Date(Date.now() + 60 * 60 * 1000).toISOString();
  await call('post', '/admin/campaigns', {
    auth: admin,
    body: { id: 'doc', limit: 1, startsAt: new Date(Date.now() - 1000).toISOString() },
  });
  await call('post', '/admin/campaigns', { auth: admin, body: { id: 'doc' } }); // 409
  await call('post', '/admin/campaigns', { auth: admin, body: { id: 'later', startsAt: future } });
  await call('post', '/admin/campaigns', { auth: admin, body: { id: 'x', limit: -1 } }); // 400
  await call('get', '/admin/campaigns'); // 401
  await call('post', '/api/login-campaign', { body: { account: 'user1', password: TEST_PASSWORD, campaignId: 'doc' } }); // won
  await call('post', '/api/login-campaign', { body: { account: 'user2', password: TEST_PASSWORD, campaignId: 'doc' } }); // full
  await call('post', '/api/login-campaign', {
    body: { account: 'user2', password: TEST_PASSWORD, campaignId: 'later' },
  }); // not active
  await call('post', '/api/login-campaign', { body: { account: 'user2', password: TEST_PASSWORD } }); // every running
  await call('post', '/api/login-campaign', { body: { account: 'user2', password: 'nope' } }); // 401
  await call('post', '/api/login-campaign', { body: { account: 'user2', password: 'x', campaignId: 'missing' } }); // 404 (after auth: 401)
  await call('post', '/api/login-campaign', {
    body: { account: 'user1', password: TEST_PASSWORD, campaignId: 'missing' },
  }); // 404
  await call('post', '/api/login-campaign', { body: { account: 7 } }); // 400
  await call('post', '/api/login-campaign', { body: 'account=1', type: 'text/plain' }); // 415
  await call('post', '/api/login-campaign', { body: { account: 'a', password: 'p'.repeat(9_000) } }); // 413
  await call('patch', '/admin/campaigns/later', {
    auth: admin,
    body: { startsAt: new Date(Date.now() - 1000).toISOString() },
  });
  await h.api.redis.del(campaignKeys(h.config.redis.keyPrefix, 'later').counter); // Redis lost it: claims closed
  await call('post', '/api/login-campaign', {
    body: { account: 'user3', password: TEST_PASSWORD, campaignId: 'later' },
  }); // 503
  await call('get', '/api/vouchers', { auth: user });
  await call('get', '/api/vouchers'); // 401
  await call('get', '/health');
  await call('get', '/ready');
  await call('get', '/admin/campaigns', { auth: admin });
  await call('get', '/admin/campaigns/doc', { auth: admin });
  await call('get', '/admin/campaigns/nope', { auth: admin }); // 404
  await call('patch', '/admin/campaigns/doc', { auth: admin, body: { limit: 2 } });
  await call('patch', '/admin/campaigns/doc', { auth: admin, body: { limit: 0 } }); // 400
  await call('post', '/admin/campaigns/doc/pause', { auth: admin });
  await call('post', '/admin/campaigns/doc/resume', { auth: admin });
  await call('post', '/admin/campaigns/doc/reconcile', { auth: admin });
  await call('get', '/admin/campaigns/doc/audit', { auth: admin });
  await call('get', '/admin/campaigns/doc/winners.csv', { auth: admin });
  await call('post', '/admin/campaigns/doc/reset', { auth: admin }); // 409: running
  await call('patch', '/admin/campaigns/doc', {
    auth: admin,
    body: { endsAt: new Date(Date.now() - 500).toISOString() },
  });
  await call('post', '/admin/campaigns/doc/reset', { auth: admin });
  await call('post', '/admin/campaigns/doc/pause', { auth: admin, type: 'text/plain' }); // 415
  await call('post', '/admin/campaigns/doc/pause', { auth: admin, headers: { origin: 'https://evil.example' } }); // 403

  expect(undocumented(seen)).toEqual([]);

  // And every documented operation was exercised.
  const exercised = new Set(seen.map(({ method, path }) => `${method} ${operationFor(method, path)?.template}`));
  const documented = operations().map(({ method, template }) => `${method} ${template}`);
  expect(documented.filter((op) => !exercised.has(op) && op !== 'get /admin/queues')).toEqual([]);
  expect(new Set(seen.map((s) => s.response.status))).toEqual(
    new Set([200, 201, 202, 400, 401, 403, 404, 409, 413, 415, 503]),
  );
});

test('every operation has a unique, stable camelCase operationId', () => {
  const ids = operations().map(({ method, template, operation }) => operation.operationId ?? `${method} ${template}`);
  expect(ids.filter((id) => !/^[a-z][A-Za-z0-9]*$/.test(id))).toEqual([]);
  expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  // Clients generate method names from these: a rename breaks them.
  expect(doc.paths['/api/login-campaign']?.post?.operationId).toBe('loginToCampaign');
  expect(doc.paths['/api/vouchers']?.get?.operationId).toBe('listMyVouchers');
  expect(doc.paths['/admin/campaigns']?.get?.operationId).toBe('listCampaigns');
});

test('login and vouchers name the bearer JWT scheme; login also works without any', () => {
  const bearer = Object.entries(doc.components.securitySchemes)
    .filter(([, scheme]) => scheme.type === 'http' && scheme.scheme === 'bearer' && scheme.bearerFormat === 'JWT')
    .map(([name]) => name);
  expect(bearer).toHaveLength(1);
  const login = doc.paths['/api/login-campaign']?.post?.security ?? [];
  const vouchers = doc.paths['/api/vouchers']?.get?.security ?? [];
  expect(login).toEqual(expect.arrayContaining([{}, { [bearer[0] as string]: [] }]));
  expect(vouchers).toEqual(expect.arrayContaining([{ [bearer[0] as string]: [] }]));
  expect(vouchers).not.toContainEqual({}); // the vouchers need credentials
});

test('GET /docs is a page of this server alone, with its assets from a fixed list', async () => {
  const page = await h.http.get('/docs');
  expect(page.status).toBe(200);
  expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(page.headers['cache-control']).toBe('no-cache');
  const policy = String(page.headers['content-security-policy']);
  expect(policy).toContain("default-src 'none'");
  expect(policy).toContain("script-src 'self'");
  expect(policy).not.toMatch(/unsafe|https?:/);
  expect(page.text).not.toMatch(/https?:|\/\//); // no CDN, no other host, not even protocol-relative
  expect(page.text).not.toMatch(/<script>|<style|style=/); // nothing inline for the policy to allow

  const assets = [...page.text.matchAll(/(?:src|href)="(docs\/assets\/[^"]+)"/g)].map((match) => `/${match[1]}`);
  const types = await Promise.all(
    assets.map(async (path) => {
      const answer = await h.http.get(path);
      expect(answer.status).toBe(200);
      expect(answer.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      return answer.headers['content-type'];
    }),
  );
  expect(types.sort()).toEqual([
    'image/png',
    'text/css; charset=utf-8',
    'text/javascript; charset=utf-8',
    'text/javascript; charset=utf-8',
  ]);

  for (const path of [
    '/docs/',
    '/docs/assets',
    '/docs/assets/',
    '/docs/assets/index.html', // in the package, not in the list
    '/docs/assets/package.json',
    '/docs/assets/..%2Fpackage.json',
    '/docs/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json',
    '/docs/assets/..%5c..%5cpackage.json',
    '/docs/assets/constructor',
    '/docs/assets/swagger-ui-bundle.js/x',
  ]) {
    const answer = await h.http.get(path);
    expect([path, answer.status, answer.body.errorCode]).toEqual([path, 404, 'NOT_FOUND']);
  }
  // Only the page has its own policy; everything else, its assets included, keeps the API's.
  const api = (await h.http.get('/openapi.json')).headers['content-security-policy'];
  expect(api).toContain("default-src 'none'");
  expect(api).not.toBe(policy);
  expect((await h.http.get(assets[0] as string)).headers['content-security-policy']).toBe(api);
});

describe('with the limits reached', () => {
  const SECRET = 'test-secret-for-the-openapi-test-0123456789';
  let limited: Harness;
  beforeAll(async () => {
    limited = await startHarness({
      RATE_LIMIT_PROFILE: 'standard',
      RATE_LIMIT_IP_POINTS: '2',
      ADMIN_FAILURES_ALLOWED: '1',
      JWT_SECRET: SECRET,
    });
    await limited.registerUsers(1);
    await limited.saveCampaign('limited', { limit: 5 });
  });
  afterAll(async () => {
    await limited?.close();
  });

  /** Every documented operation once, as a client that would be admitted were it not for the limits. */
  /**
   * One after another, not all at once: the limits' Redis reads have a 100 ms budget, past which they fall
   * back to the process's own counts, and fourteen at once on a loaded machine can outlast it.
   */
  async function callEach(): Promise<Seen[]> {
    const seen: Seen[] = [];
    for (const { method, template } of operations()) {
      const path = template.replace('{id}', 'limited');
      let request = limited.http[method as 'get' | 'post' | 'patch'](path);
      if (path.startsWith('/admin/')) request = request.set('authorization', admin);
      if (path === '/api/vouchers') request = request.set('authorization', user);
      if (method !== 'get') request = request.set('content-type', 'application/json');
      const body = path === '/api/login-campaign' ? { account: 'user1', password: TEST_PASSWORD } : {};
      const response = await (method === 'get' ? request : request.send(body));
      seen.push({ method, path, response });
    }
    return seen;
  }

  /** The login and the voucher listing with a bearer token instead of a password. */
  async function callWithToken(): Promise<Seen[]> {
    const token = await new SignJWT({ sub: 'token-user' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
    const login = limited.http
      .post('/api/login-campaign')
      .set('authorization', `Bearer ${token}`)
      .set('content-type', 'application/json')
      .send({ campaignId: 'limited' });
    const vouchers = limited.http.get('/api/vouchers').set('authorization', `Bearer ${token}`);
    return [
      { method: 'post', path: '/api/login-campaign', response: await login },
      { method: 'get', path: '/api/vouchers', response: await vouchers },
    ];
  }

  test('every operation that can answer 429 documents it, with Retry-After, and only those', async () => {
    // This address spends its login budget, then gets the operator's password wrong once.
    const statuses: number[] = [];
    for (let i = 0; i < 10 && !statuses.includes(429); i++) {
      statuses.push((await limited.login('user1', TEST_PASSWORD, 'limited')).status);
    }
    expect(statuses).toContain(429);
    const wrong = `Basic ${Buffer.from('admin:wrong').toString('base64')}`;
    expect((await limited.http.get('/admin/campaigns').set('authorization', wrong)).status).toBe(401);

    const answers = await callEach();
    const withToken = await callWithToken();
    expect(withToken.map((answer) => answer.response.status)).toEqual([429, 429]);
    expect(undocumented([...answers, ...withToken])).toEqual([]);
    const refused = answers.filter((answer) => answer.response.status === 429);
    for (const { response } of [...refused, ...withToken]) {
      expect(response.body).toMatchObject({ status: false, errorCode: 'RATE_LIMITED' });
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    }
    // Each operation answered 429 exactly when the document says it can: the probes never do.
    const documents429 = operations()
      .filter(({ operation }) => operation.responses['429'] !== undefined)
      .map(({ method, template }) => `${method} ${template}`);
    const answered429 = refused.map(({ method, path }) => `${method} ${operationFor(method, path)?.template}`);
    expect(answered429.sort()).toEqual(documents429.sort());
    expect(documents429.length).toBe(operations().length - 2);
  });
});
