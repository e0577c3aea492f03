import { randomBytes } from 'node:crypto';

import { loadConfig, type Config } from '../../src/config';

/** A short random tag that keeps one test's data apart from every other's. */
export function uniqueTag(): string {
  return randomBytes(4).toString('hex');
}

export function testMongoUrl(database: string): string {
  const base = process.env.TEST_MONGO_URL;
  if (!base) throw new Error('TEST_MONGO_URL is not set: run the tests through jest (globalSetup starts the services)');
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: run the tests through jest (globalSetup starts the services)');
  return url;
}

/**
 * A configuration of its own for one test: a fresh database, Redis key prefix and BullMQ prefix on the
 * shared servers, and the cheap password-hash profile.
 */
export function testConfig(overrides: Record<string, string> = {}): Config {
  const tag = uniqueTag();
  return loadConfig({
    NODE_ENV: 'test',
    MONGO_URL: testMongoUrl(`t_${tag}`),
    REDIS_URL: testRedisUrl(),
    REDIS_KEY_PREFIX: `t${tag}`,
    QUEUE_PREFIX: `{tq${tag}}`,
    PASSWORD_HASH_PROFILE: 'test',
    // Tests log thousands of users in from one address; the limits have tests of their own.
    RATE_LIMIT_PROFILE: 'relaxed',
    // Tests change campaigns behind the API's back (through their own connection); no cache to wait out.
    CAMPAIGN_CACHE_TTL_MS: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    VOUCHER_JOB_BACKOFF_MS: '50',
    // FerretDB on a shared 2-core machine is slow under a burst; tests about timeouts, shedding and
    // deadlines set their own.
    MONGO_OPERATION_TIMEOUT_MS: '10000',
    REDIS_COMMAND_TIMEOUT_MS: '5000',
    LOGIN_DEADLINE_MS: '30000',
    HASH_MAX_WAIT_MS: '30000',
    // Many workers and APIs run side by side in tests: their private listeners take any free port.
    WORKER_PORT: '0',
    METRICS_PORT: '0',
    // Peers count each other in within two heartbeats: quick, so a harness is ready at once.
    API_HEARTBEAT_MS: '100',
    // Tests try wrong operator credentials on purpose; the back-off has a test of its own.
    ADMIN_FAILURES_ALLOWED: '1000',
    ...overrides,
  });
}
