import { z } from 'zod';

import { AppError } from './errors';
import { redactUrl } from './logger';

/**
 * Password hashing profiles. `test` is cheap so test suites and local demos log in quickly; the service
 * refuses it when NODE_ENV=production.
 */
export const SCRYPT_PROFILES = {
  standard: { logN: 15, r: 8, p: 1 },
  test: { logN: 10, r: 8, p: 1 },
} as const;

/** The documented development default for ADMIN_PASSWORD, refused in production. */
export const DEV_ADMIN_PASSWORD = 'admin-dev-password';

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const mongoUrl = z
  .string()
  .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
  .refine((url) => databaseName(url) !== '', 'must name the database in its path, e.g. mongodb://host:27017/promotion');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: integer(0, 65_535).default(3000),
  MONGO_URL: mongoUrl.default('mongodb://127.0.0.1:27017/promotion'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .default('redis://127.0.0.1:6379'),
  /** Prefix of the campaign keys in Redis: <prefix>:{<campaignId>}:counter. */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/)
    .default('promo'),
  /** BullMQ's key prefix; the hash tag keeps every queue key on one Redis Cluster slot. */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}-]{1,40}$/)
    .default('{promo-queue}'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PASSWORD_HASH_PROFILE: z.enum(['standard', 'test']).default('standard'),
  /** Raises the scrypt cost above the profile's (log2 N). */
  SCRYPT_LOG_N: integer(4, 20).optional(),
  REDIS_COMMAND_TIMEOUT_MS: integer(50, 60_000).default(500),
  /**
   * Bound on each database wait on the request path. The driver retries a failed read or write once, so a
   * dead database costs a request about twice this: 400 keeps the 503 under a second.
   */
  MONGO_OPERATION_TIMEOUT_MS: integer(50, 60_000).default(400),
  MONGO_MAX_POOL_SIZE: integer(1, 1_000).default(50),
  ENQUEUE_TIMEOUT_MS: integer(10, 10_000).default(300),
  /** Answered in Retry-After with 503s. */
  RETRY_AFTER_SECONDS: integer(1, 3_600).default(1),
  BODY_LIMIT_BYTES: integer(256, 1_048_576).default(4_096),
  /**
   * On SIGTERM the API first reports not ready (and closes each connection after its answer) for this
   * long, still accepting, so load balancers stop sending; then it stops accepting and drains.
   */
  SHUTDOWN_GRACE_MS: integer(0, 120_000).default(5_000),
  VOUCHER_JOB_ATTEMPTS: integer(1, 100).default(8),
  VOUCHER_JOB_BACKOFF_MS: integer(10, 600_000).default(1_000),
  WORKER_CONCURRENCY: integer(1, 1_000).default(20),
  /** How long a worker holds a job before others may take it over (a crashed worker's jobs wait this long). */
  WORKER_LOCK_DURATION_MS: integer(500, 600_000).default(30_000),
  WORKER_STALLED_INTERVAL_MS: integer(500, 600_000).default(30_000),
  /** How often the workers reconcile every campaign (BullMQ job scheduler). */
  RECONCILE_INTERVAL_MS: integer(1_000, 86_400_000).default(15_000),
  /** How long a hole or a stopped claim must persist before reconciliation acts on it. */
  RECONCILE_GRACE_MS: integer(0, 86_400_000).default(30_000),
  /** Operator credentials for /admin (HTTP basic). The default is for development only. */
  ADMIN_USERNAME: z.string().min(1).max(64).default('admin'),
  ADMIN_PASSWORD: z.string().min(1).max(256).default(DEV_ADMIN_PASSWORD),
  /** Optional bearer token for /admin (automation); at least 32 characters. */
  ADMIN_TOKEN: z.string().min(32).max(512).optional(),
  /** Bull Board without retry/clean/promote buttons. */
  BULL_BOARD_READ_ONLY: z.enum(['true', 'false']).default('false'),
});

export type Env = z.input<typeof schema>;

export interface Config {
  env: 'development' | 'test' | 'production';
  http: { host: string; port: number; bodyLimitBytes: number; retryAfterSeconds: number; shutdownGraceMs: number };
  mongo: { url: string; operationTimeoutMs: number; maxPoolSize: number };
  redis: { url: string; keyPrefix: string; commandTimeoutMs: number };
  queue: {
    prefix: string;
    enqueueTimeoutMs: number;
    attempts: number;
    backoffMs: number;
    workerConcurrency: number;
    lockDurationMs: number;
    stalledIntervalMs: number;
  };
  reconcile: { intervalMs: number; graceMs: number };
  admin: { username: string; password: string; token: string | null; boardReadOnly: boolean };
  passwordHash: { profile: keyof typeof SCRYPT_PROFILES; logN: number; r: number; p: number };
  logLevel: string;
}

/** The database named in a MongoDB URL's path ('' when none). */
export function databaseName(url: string): string {
  const afterHosts = url.replace(/^mongodb(\+srv)?:\/\/[^/]*/, '');
  return decodeURIComponent(afterHosts.replace(/^\//, '').split('?')[0] ?? '');
}

/**
 * Reads the configuration once, from the environment (the only place that does). Every problem is
 * reported at once, by variable name, without echoing values (they may hold credentials).
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new AppError('CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`, { problems });
  }
  const e = parsed.data;
  const profile = SCRYPT_PROFILES[e.PASSWORD_HASH_PROFILE];
  const logN = Math.max(profile.logN, e.SCRYPT_LOG_N ?? 0);
  if (e.NODE_ENV === 'production' && (e.PASSWORD_HASH_PROFILE === 'test' || logN < SCRYPT_PROFILES.standard.logN)) {
    throw new AppError(
      'CONFIG_INVALID',
      'PASSWORD_HASH_PROFILE=test (cheap password hashing) is refused in production',
    );
  }
  return {
    env: e.NODE_ENV,
    http: {
      host: e.HOST,
      port: e.PORT,
      bodyLimitBytes: e.BODY_LIMIT_BYTES,
      retryAfterSeconds: e.RETRY_AFTER_SECONDS,
      shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    },
    mongo: { url: e.MONGO_URL, operationTimeoutMs: e.MONGO_OPERATION_TIMEOUT_MS, maxPoolSize: e.MONGO_MAX_POOL_SIZE },
    redis: { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX, commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS },
    queue: {
      prefix: e.QUEUE_PREFIX,
      enqueueTimeoutMs: e.ENQUEUE_TIMEOUT_MS,
      attempts: e.VOUCHER_JOB_ATTEMPTS,
      backoffMs: e.VOUCHER_JOB_BACKOFF_MS,
      workerConcurrency: e.WORKER_CONCURRENCY,
      lockDurationMs: e.WORKER_LOCK_DURATION_MS,
      stalledIntervalMs: e.WORKER_STALLED_INTERVAL_MS,
    },
    reconcile: { intervalMs: e.RECONCILE_INTERVAL_MS, graceMs: e.RECONCILE_GRACE_MS },
    admin: {
      username: e.ADMIN_USERNAME,
      password: e.ADMIN_PASSWORD,
      token: e.ADMIN_TOKEN ?? null,
      boardReadOnly: e.BULL_BOARD_READ_ONLY === 'true',
    },
    passwordHash: { profile: e.PASSWORD_HASH_PROFILE, logN, r: profile.r, p: profile.p },
    logLevel: e.LOG_LEVEL,
  };
}

/** What the process runs with, fit for a log line: URLs without their passwords, no secrets. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    env: config.env,
    port: config.http.port,
    mongo: redactUrl(config.mongo.url),
    redis: redactUrl(config.redis.url),
    keyPrefix: config.redis.keyPrefix,
    queuePrefix: config.queue.prefix,
    passwordHash: config.passwordHash,
    adminUser: config.admin.username,
    adminToken: config.admin.token === null ? 'unset' : 'set',
  };
}
