import fc from 'fast-check';

import { createCampaignSchema } from '../../src/adapters/http/admin-schemas';
import { HTTP_STATUS } from '../../src/adapters/http/error-status';
import { DEV_ADMIN_PASSWORD } from '../../src/config';
import { ERROR_CODES } from '../../src/errors';
import { watchDatabaseCalls } from '../support/database-calls';
import { startHarness, TEST_PASSWORD, type Harness } from '../support/harness';

/**
 * Random JSON thrown at the public and admin endpoints: every answer is a documented status with a
 * catalogued errorCode, never a 500, never a stack trace; input refused as invalid costs no database or
 * Redis call. FUZZ_RUNS and FUZZ_SEED reproduce a run; the summary lines print both.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const admin = `Basic ${Buffer.from(`admin:${DEV_ADMIN_PASSWORD}`).toString('base64')}`;
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await h.registerUsers(2);
  await h.saveCampaign('fuzz', { limit: 5 });
});
afterAll(async () => {
  await h?.close();
});

/** Strings that look like what an attacker sends: operators, markup, paths, long, any unicode. */
const hostile = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('$ne', '{"$gt":""}', '<script>alert(1)</script>', 'a{b}:c', '../../etc/passwd', '', ' '),
  fc.string({ minLength: 200, maxLength: 2_000 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
);
const anything = fc.oneof(hostile, fc.jsonValue({ maxDepth: 3 }), fc.constant(null));
const id = fc.oneof(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/), hostile);

/** Any of: a well-formed request with random values, one with random types and keys, any JSON, not JSON. */
function bodies(wellFormed: fc.Arbitrary<object>, keys: readonly string[]): fc.Arbitrary<string> {
  const shaped = fc.record(Object.fromEntries([...keys, 'extra'].map((key) => [key, anything])), { requiredKeys: [] });
  return fc.oneof(
    { weight: 5, arbitrary: wellFormed.map((b) => JSON.stringify(b)) },
    { weight: 3, arbitrary: shaped.map((b) => JSON.stringify(b)) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((b) => JSON.stringify(b)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 100 }) },
  );
}

/** A registered user's right login, so the generator reaches the claim on every seed. */
const validLogin = fc.record(
  { account: fc.constantFrom('user1', 'user2'), password: fc.constant(TEST_PASSWORD), campaignId: fc.constant('fuzz') },
  { requiredKeys: ['account', 'password'] },
);
const randomLogin = fc.record(
  {
    account: fc.oneof(fc.constantFrom('user1', 'user2', 'nobody'), fc.string({ minLength: 1, maxLength: 40 })),
    password: fc.oneof(fc.constant(TEST_PASSWORD), fc.string({ minLength: 1, maxLength: 40 })),
    campaignId: fc.oneof(fc.constantFrom('fuzz', 'missing'), id),
  },
  { requiredKeys: ['account', 'password'] },
);
const loginBodies = bodies(fc.oneof(validLogin, randomLogin), ['account', 'password', 'campaignId']);
/** A campaign every rule accepts, so the generator reaches the write path on every seed. */
const validCampaign = fc
  .record(
    {
      id: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/),
      name: fc.string({ minLength: 1, maxLength: 40 }).filter((name) => name.trim().length > 0),
      limit: fc.integer({ min: 1, max: 10_000_000 }),
      discount: fc.integer({ min: 0, max: 100 }),
      startsAt: fc.date({ min: new Date('2020-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
      paused: fc.boolean(),
    },
    { requiredKeys: ['id'] },
  )
  .map(({ startsAt, ...rest }) => ({ ...rest, ...(startsAt && { startsAt: startsAt.toISOString() }) }));
const randomCampaign = fc.record(
  {
    id,
    name: hostile,
    limit: fc.integer({ min: -5, max: 20_000_000 }),
    discount: fc.integer({ min: -5, max: 120 }),
    voucherType: fc.oneof(fc.constant('MOBILE_TOPUP_BANK_TRANSFER'), hostile),
    startsAt: fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      hostile,
    ),
    endsAt: fc.oneof(
      fc.constant(null),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    ),
    paused: fc.oneof(fc.boolean(), anything),
  },
  { requiredKeys: ['id'] },
);
const campaignBodies = bodies(fc.oneof(validCampaign, randomCampaign), [
  'id',
  'name',
  'limit',
  'discount',
  'startsAt',
  'paused',
]);

function checkAnswer(status: number, body: unknown, allowed: readonly number[]): void {
  expect(allowed).toContain(status);
  expect(JSON.stringify(body)).not.toMatch(/\bat [\w.<>]+ \(|node_modules|Error: /);
  const errorCode = (body as { errorCode?: unknown }).errorCode;
  if (status >= 400) {
    expect(Object.keys(ERROR_CODES)).toContain(errorCode);
    if (status !== 503) expect(HTTP_STATUS[errorCode as keyof typeof HTTP_STATUS]).toBe(status);
  }
}

async function fuzz(
  name: string,
  path: string,
  auth: string | null,
  generated: fc.Arbitrary<string>,
  allowed: number[],
  /** The statuses a body must get when the test can tell (a request that is valid through and through). */
  expectedFor: (body: unknown) => number[] | null,
) {
  const statuses = new Map<number, number>();
  // Authentication comes before the body is read: on the admin API that is the operator-credential check
  // (a lookup in Redis). Refused input may cost that, and nothing more.
  const authCommands = auth === null ? 0 : await commandsOfARefusedBody(path, auth);
  await fc.assert(
    fc.asyncProperty(generated, async (body) => {
      const calls = await watchDatabaseCalls(h.api);
      try {
        let request = h.http.post(path).set('content-type', 'application/json');
        if (auth !== null) request = request.set('authorization', auth);
        const response = await request.send(body);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        checkAnswer(response.status, response.body, allowed);
        const expected = expectedFor(parsed(body));
        if (expected !== null) expect(expected).toContain(response.status);
        if (response.status === 400) {
          expect(calls.mongoCommands).toEqual([]);
          expect(calls.redisCommands()).toBe(authCommands);
        }
      } finally {
        calls.stop();
      }
    }),
    { numRuns: RUNS, seed: SEED },
  );
  const seen = Object.fromEntries([...statuses].sort(([a], [b]) => a - b));
  console.log(`FUZZ ${name} seed=${SEED} runs=${RUNS} statuses=${JSON.stringify(seen)}`);
  return statuses;
}

/** How many Redis commands an authenticated request with an empty (invalid) object costs. */
async function commandsOfARefusedBody(path: string, auth: string): Promise<number> {
  const calls = await watchDatabaseCalls(h.api);
  try {
    const response = await h.http
      .post(path)
      .set('content-type', 'application/json')
      .set('authorization', auth)
      .send('{}');
    expect(response.status).toBe(400);
    expect(calls.mongoCommands).toEqual([]);
    return calls.redisCommands();
  } finally {
    calls.stop();
  }
}

function parsed(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** A registered user's right password for the fuzz campaign, nothing else: must be answered 200. */
function validLoginExpectation(body: unknown): number[] | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { account, password, campaignId, ...rest } = body as Record<string, unknown>;
  const valid =
    (account === 'user1' || account === 'user2') &&
    password === TEST_PASSWORD &&
    campaignId === 'fuzz' &&
    Object.keys(rest).length === 0;
  return valid ? [200] : null;
}

/**
 * A campaign the create schema accepts and whose end (if any) lies after its start (now by default, so
 * checked with a minute to spare): created (201), or its id was generated before (409).
 */
function validCampaignExpectation(body: unknown): number[] | null {
  const result = createCampaignSchema.safeParse(body);
  if (!result.success) return null;
  const { startsAt, endsAt } = result.data;
  if (endsAt === undefined || endsAt === null) return [201, 409];
  return endsAt.getTime() > (startsAt ?? new Date(Date.now() + 60_000)).getTime() ? [201, 409] : null;
}

test('random JSON at POST /api/login-campaign: only documented answers', async () => {
  const statuses = await fuzz(
    'login',
    '/api/login-campaign',
    null,
    loginBodies,
    [200, 400, 401, 404, 413, 503],
    validLoginExpectation,
  );
  // The generator reaches every stage: validation, authentication, the claim.
  for (const status of [200, 400, 401]) expect(statuses.get(status)).toBeGreaterThan(0);
}, 120_000);

test('random JSON at POST /admin/campaigns: only documented answers', async () => {
  const statuses = await fuzz(
    'admin',
    '/admin/campaigns',
    admin,
    campaignBodies,
    [201, 400, 409, 413, 503],
    validCampaignExpectation,
  );
  for (const status of [201, 400]) expect(statuses.get(status)).toBeGreaterThan(0);
}, 120_000);
