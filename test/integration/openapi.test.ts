import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Response } from 'supertest';

import { DEV_ADMIN_PASSWORD } from '../../src/config';
import { startHarness, TEST_PASSWORD, type Harness } from '../support/harness';

/**
 * The OpenAPI document stays true: real answers of the running app, for every documented operation, are
 * validated against the document's own schemas, and nothing the app answers is missing from it.
 */
type Operation = { responses: Record<string, { content?: Record<string, { schema: object }> }> };
type Document = { paths: Record<string, Record<string, Operation>> };

let h: Harness;
let doc: Document;
const seen: { method: string; path: string; response: Response }[] = [];
const admin = `Basic ${Buffer.from(`admin:${DEV_ADMIN_PASSWORD}`).toString('base64')}`;
const user = `Basic ${Buffer.from(`user1:${TEST_PASSWORD}`).toString('base64')}`;

beforeAll(async () => {
  h = await startHarness();
  await h.registerUsers(3);
  doc = (await h.http.get('/openapi.json')).body as Document;
});
afterAll(async () => {
  await h.close();
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
  await h.api.redis.del(`${h.config.redis.keyPrefix}:{later}:counter`); // Redis lost it: claims closed
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

  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const problems: string[] = [];
  for (const { method, path, response } of seen) {
    const found = operationFor(method, path);
    const declared = found?.operation.responses[String(response.status)];
    if (!found || !declared) {
      problems.push(`${method.toUpperCase()} ${path} answered ${response.status}, which the document does not list`);
      continue;
    }
    const type = String(response.headers['content-type']).split(';')[0] as string;
    const content = declared.content?.[type];
    if (!content) {
      problems.push(
        `${method.toUpperCase()} ${found.template} ${response.status}: content type ${type} not documented`,
      );
      continue;
    }
    if (type === 'application/json' && !ajv.validate(content.schema, response.body)) {
      problems.push(`${method.toUpperCase()} ${found.template} ${response.status}: ${ajv.errorsText(ajv.errors)}`);
    }
  }
  expect(problems).toEqual([]);

  // And every documented operation was exercised.
  const exercised = new Set(seen.map(({ method, path }) => `${method} ${operationFor(method, path)?.template}`));
  const documented = Object.entries(doc.paths).flatMap(([template, ops]) =>
    Object.keys(ops)
      .filter((k) => k !== 'parameters')
      .map((m) => `${m} ${template}`),
  );
  expect(documented.filter((op) => !exercised.has(op) && op !== 'get /admin/queues')).toEqual([]);
  expect(new Set(seen.map((s) => s.response.status))).toEqual(
    new Set([200, 201, 202, 400, 401, 403, 404, 409, 413, 415, 503]),
  );
});
