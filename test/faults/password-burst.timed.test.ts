import { monitorEventLoopDelay } from 'node:perf_hooks';

import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { startHarness, TEST_PASSWORD, type Harness, type LoginBody } from '../support/harness';
import { sendJson } from '../support/http-client';

/**
 * A password-login burst on this 2-core machine, with the production hashing cost and the standard login
 * limits: 1,000 users plus 300 repeats from 200 concurrent clients (each its own address behind the
 * proxy). Every answer comes within 5 s (the 4 s login deadline and a second to spare): 200, or 503 with a
 * Retry-After; clients that retry after it get through; exactly 100 win.
 *
 * The clients and the API share this process, so a stall of the whole process (the machine not running it:
 * CI once measured one answer at 6.1 s on a slow day) delays every timer, the deadline's included. The bound
 * adds the longest stall of this process's event loop during the burst, measured beside it: an answer held
 * past its deadline while the loop ran (the 30 s waits this test was written for) still fails it.
 */
const USERS = 1_000;
const ANSWER_WITHIN_MS = 5_000;
const REPEATS = 300;
const CLIENTS = 200;
const LIMIT = 100;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    PASSWORD_HASH_PROFILE: 'standard',
    RATE_LIMIT_PROFILE: 'standard',
    TRUST_PROXY: 'true',
    // The service's own bounds (the test defaults raise them for slow suites).
    HASH_MAX_WAIT_MS: '2000',
    LOGIN_DEADLINE_MS: '4000',
    MONGO_OPERATION_TIMEOUT_MS: '2000',
  });
  // One hash at the production cost for everyone (hashing 1,000 would take the machine a minute): the
  // logins still verify each password at that cost.
  await h.registerAtProductionCost(Array.from({ length: USERS }, (_, i) => `user${i + 1}`));
  await h.saveCampaign('burst', { limit: LIMIT });
}, 120_000);
afterAll(async () => {
  await h?.close();
});

interface Answer {
  ms: number;
  status: number;
  retryAfter: string | undefined;
  outcome: string | undefined;
  errorCode: string | null | undefined;
}

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)] as number;

test('1,300 password logins from 200 clients: every answer within 5 s, 503s carry Retry-After, exactly 100 win', async () => {
  const logins = [
    ...Array.from({ length: USERS }, (_, i) => `user${i + 1}`),
    ...Array.from({ length: REPEATS }, (_, i) => `user${((i * 7) % USERS) + 1}`),
  ];
  const answers: Answer[] = [];
  const decided: string[] = [];
  let next = 0;
  const client = async (index: number): Promise<void> => {
    const address = `10.${Math.floor(index / 250)}.${index % 250}.1`;
    for (let task = next++; task < logins.length; task = next++) {
      const account = logins[task] as string;
      for (;;) {
        const started = Date.now();
        const { status, headers, body } = await sendJson<LoginBody>(
          'POST',
          `${h.baseUrl}/api/login-campaign`,
          { account, password: TEST_PASSWORD, campaignId: 'burst' },
          { 'x-forwarded-for': address },
        );
        const retryAfter = headers['retry-after'] as string | undefined;
        answers.push({
          ms: Date.now() - started,
          status,
          retryAfter,
          outcome: body.campaigns?.[0]?.outcome,
          errorCode: body.errorCode,
        });
        if (status !== 503 && status !== 429) {
          decided.push(account);
          break;
        }
        // As the app does: wait what Retry-After says (spread a little), then try again.
        await new Promise((r) => setTimeout(r, Number(retryAfter ?? 1) * 1_000 * (0.5 + Math.random())));
      }
    }
  };
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
  loop.disable();
  const longestStallMs = Math.round(loop.max / 1e6);

  const ms = answers.map((a) => a.ms);
  const shed = answers.filter((a) => a.status === 503);
  console.log(
    `FIGURE password burst: ${answers.length} answers (${shed.length} 503, ${answers.filter((a) => a.status === 429).length} 429) ` +
      `p50 ${percentile(ms, 50)} ms, p99 ${percentile(ms, 99)} ms, max ${Math.max(...ms)} ms; ` +
      `longest event-loop stall ${longestStallMs} ms; slowest: ` +
      [...answers]
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 5)
        .map((a) => `${a.ms} ms ${a.status} ${a.outcome ?? a.errorCode ?? ''}`)
        .join(', '),
  );
  expect(Math.max(...ms)).toBeLessThanOrEqual(ANSWER_WITHIN_MS + longestStallMs);
  expect(answers.filter((a) => ![200, 503].includes(a.status))).toEqual([]);
  for (const answer of shed) expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
  expect(decided).toHaveLength(logins.length); // every client that retried got through
  expect(answers.filter((a) => a.outcome === 'won')).toHaveLength(LIMIT);
  expect(await h.api.mongo.db.collection(COLLECTIONS.winners).countDocuments({ campaignId: 'burst' })).toBe(LIMIT);
}, 480_000);
