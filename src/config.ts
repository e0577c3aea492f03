import { availableParallelism } from 'node:os';

import { z } from 'zod';

import { AppError } from './errors';
import type { TokenKey, TokenOptions } from './adapters/crypto/jose-token-verifier';
import { redactUrl } from './logger';
import { weaknesses } from './secret-strength';

/**
 * Login limits. `relaxed` lifts them for test suites and the benchmark (which log in thousands of users
 * from one address); the service refuses it when NODE_ENV=production.
 */
export const RATE_LIMIT_PROFILES = {
  standard: {
    perIp: { points: 600, windowSeconds: 60 },
    perAccount: { points: 10, windowSeconds: 60 },
    failures: { allowed: 5, backoffSeconds: 900 },
    accountFailures: { allowed: 100 },
    knownAddressDays: 30,
  },
  relaxed: {
    perIp: { points: 1_000_000_000, windowSeconds: 60 },
    perAccount: { points: 1_000, windowSeconds: 60 },
    failures: { allowed: 1_000, backoffSeconds: 60 },
    accountFailures: { allowed: 100_000 },
    knownAddressDays: 30,
  },
} as const;

/**
 * The widest login limits production accepts through the per-variable overrides: ten times the standard
 * profile's rates (points per window second) and ten times its points in one window (the burst a long
 * window would allow), at most 20 wrong passwords before a back-off, which lasts at least a minute.
 */
export const PRODUCTION_LIMIT_BOUNDS = {
  perIpPerSecond: 100,
  perAccountPerSecond: 10 / 6,
  /** A window's worth at once: bounds the burst, where the rates bound the average. */
  perIpPoints: 6_000,
  perAccountPoints: 100,
  failuresAllowed: 20,
  accountFailuresAllowed: 1_000,
  minBackoffSeconds: 60,
} as const;

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
  /** API processes `npm run start:cluster` runs (node:cluster, one port). */
  API_PROCESSES: integer(1, 256).default(availableParallelism()),
  PORT: integer(0, 65_535).default(3000),
  MONGO_URL: mongoUrl.default('mongodb://127.0.0.1:27017/promotion'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .default('redis://127.0.0.1:6379'),
  /**
   * A Redis Cluster instead of one server: host:port of some of its nodes, comma-separated. Every key is
   * hash-tagged (per campaign; one tag for the queues), so claims and jobs work across shards.
   */
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(/^[\w.-]+:\d{1,5}(,[\w.-]+:\d{1,5})*$/, 'host:port,host:port,...')
    .optional(),
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
  /**
   * Password checks running at once; more wait, up to HASH_MAX_WAITING. scrypt is CPU work on libuv's
   * pool: more checks at once than cores only starves the event loop, hence the default.
   */
  HASH_MAX_CONCURRENT: integer(1, 256).default(availableParallelism()),
  /** Beyond this many waiting checks, logins are shed at once with 503 SERVER_BUSY. */
  HASH_MAX_WAITING: integer(0, 100_000).default(256),
  /**
   * Longest a login waits for its password check to start: one whose turn is not expected within it is
   * shed at once with 503 SERVER_BUSY (Retry-After sized to the line), and one still waiting gives up.
   */
  HASH_MAX_WAIT_MS: integer(100, 30_000).default(2_000),
  /**
   * Longest a login or voucher listing is held: past it the answer is 503 SERVICE_UNAVAILABLE with
   * Retry-After (the work goes on: a claim that completes is there on the next try).
   */
  LOGIN_DEADLINE_MS: integer(500, 30_000).default(4_000),
  RATE_LIMIT_PROFILE: z.enum(['standard', 'relaxed']).default('standard'),
  RATE_LIMIT_IP_POINTS: integer(1, 1_000_000_000).optional(),
  RATE_LIMIT_IP_WINDOW_SECONDS: integer(1, 86_400).optional(),
  RATE_LIMIT_ACCOUNT_POINTS: integer(1, 1_000_000).optional(),
  RATE_LIMIT_ACCOUNT_WINDOW_SECONDS: integer(1, 86_400).optional(),
  /** Wrong passwords for one account from one address before that pair is backed off. */
  LOGIN_FAILURES_ALLOWED: integer(1, 1_000_000).optional(),
  LOGIN_BACKOFF_SECONDS: integer(1, 86_400).optional(),
  /**
   * Wrong passwords for one account from all addresses together, per back-off period, before the account
   * is closed to every address it has not logged in from successfully (see LOGIN_KNOWN_ADDRESS_DAYS).
   */
  LOGIN_ACCOUNT_FAILURES_ALLOWED: integer(1, 1_000_000).optional(),
  /** How long an address an account logged in from stays exempt from that account-wide back-off. */
  LOGIN_KNOWN_ADDRESS_DAYS: integer(1, 365).optional(),
  /** Behind a reverse proxy, take the client address from X-Forwarded-For (only then: it can be forged). */
  TRUST_PROXY: z.enum(['true', 'false']).default('false'),
  /**
   * How many proxies of ours append to X-Forwarded-For (load balancer: 1; CDN then load balancer: 2). The
   * client address is the entry this many places from the right; what lies left of it the client wrote.
   */
  TRUSTED_PROXY_HOPS: integer(1, 10).default(1),
  /** A whole request (headers and body) must arrive within this, its headers within HTTP_HEADERS_TIMEOUT_MS. */
  HTTP_REQUEST_TIMEOUT_MS: integer(1_000, 300_000).default(10_000),
  HTTP_HEADERS_TIMEOUT_MS: integer(1_000, 300_000).default(5_000),
  /**
   * Connections the kernel holds for the API before it accepts them (listen's backlog; the kernel caps it
   * at net.core.somaxconn). Node's own default, 511, overflows when a burst opens a thousand connections
   * at once, and a connection the kernel drops waits for its client's SYN retry: a second, then three.
   */
  HTTP_LISTEN_BACKLOG: integer(1, 65_535).default(4_096),
  /** Prometheus metrics are served on their own listener, never on the public port. */
  METRICS_HOST: z.string().default('127.0.0.1'),
  METRICS_PORT: integer(0, 65_535).default(9464),
  /** The worker's own listener for probes and metrics (/health, /ready, /metrics), private like the above. */
  WORKER_HOST: z.string().default('127.0.0.1'),
  WORKER_PORT: integer(0, 65_535).default(9465),
  /**
   * A login without campaignId claims in every running campaign, up to this many; with more running,
   * campaignId is required (400 CAMPAIGN_ID_REQUIRED).
   */
  LOGIN_FANOUT_MAX: integer(1, 1_000).default(20),
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
   * How often each API process tells Redis it is alive; the attempt limits are split by the number of
   * processes alive, and a process reports ready once its peers have counted it (two heartbeats).
   */
  API_HEARTBEAT_MS: integer(100, 60_000).default(1_000),
  /** How long the API keeps campaign definitions in memory (0: not at all). Limits are never cached. */
  CAMPAIGN_CACHE_TTL_MS: integer(0, 60_000).default(1_000),
  /**
   * The sold-out view: each API process answers "full" for a campaign the counter answered full for,
   * without asking again, until it hears of a change (every change is published). Off: ask every time.
   */
  SOLD_OUT_VIEW: z.enum(['true', 'false']).default('true'),
  /** How often the view reads its campaigns' state versions again, in case a change message was lost. */
  SOLD_OUT_VIEW_CHECK_MS: integer(50, 60_000).default(1_000),
  /** Campaigns with more slot holders than this are not kept in the view (memory). */
  SOLD_OUT_VIEW_MAX_HOLDERS: integer(0, 10_000_000).default(100_000),
  /**
   * On SIGTERM the API first reports not ready (and closes each connection after its answer) for this
   * long, still accepting, so load balancers stop sending; then it stops accepting and drains.
   */
  SHUTDOWN_GRACE_MS: integer(0, 120_000).default(5_000),
  /** Tries of a voucher job: with the default delays, about two minutes of retries. */
  VOUCHER_JOB_ATTEMPTS: integer(1, 100).default(25),
  /** The first retry's delay; it doubles each try, up to VOUCHER_JOB_BACKOFF_MAX_MS. */
  VOUCHER_JOB_BACKOFF_MS: integer(10, 600_000).default(1_000),
  /** The longest wait between two tries: a job runs within this long of a database's return. */
  VOUCHER_JOB_BACKOFF_MAX_MS: integer(10, 600_000).default(5_000),
  WORKER_CONCURRENCY: integer(1, 1_000).default(20),
  /**
   * How long a worker holds a job before others may take it over; a crashed worker's jobs wait this long
   * plus up to one stalled check. Voucher jobs take milliseconds and are idempotent, so short is safe.
   */
  WORKER_LOCK_DURATION_MS: integer(500, 600_000).default(10_000),
  WORKER_STALLED_INTERVAL_MS: integer(500, 600_000).default(5_000),
  /** How often the workers reconcile every campaign (BullMQ job scheduler). */
  RECONCILE_INTERVAL_MS: integer(1_000, 86_400_000).default(15_000),
  /** How long a hole or a stopped claim must persist before reconciliation acts on it. */
  RECONCILE_GRACE_MS: integer(0, 86_400_000).default(30_000),
  /**
   * How often each worker checks that Redis kept its data (the epoch key) and re-asserts the reconcile
   * schedule; a Redis that lost everything is recovered within about this long.
   */
  WORKER_WATCH_INTERVAL_MS: integer(200, 600_000).default(5_000),
  /** Operator credentials for /admin (HTTP basic). The default is for development only; production wants 16+ varied characters. */
  ADMIN_USERNAME: z.string().min(1).max(64).default('admin'),
  ADMIN_PASSWORD: z.string().min(1).max(256).default(DEV_ADMIN_PASSWORD),
  /** Wrong operator credentials from one address before it gets 429 on /admin for ADMIN_BACKOFF_SECONDS. */
  ADMIN_FAILURES_ALLOWED: integer(1, 1_000).default(10),
  ADMIN_BACKOFF_SECONDS: integer(1, 86_400).default(900),
  /**
   * Origins (scheme://host[:port], comma-separated) allowed to send admin writes besides the request's own
   * Host: for a proxy that rewrites the Host header. Default: none.
   */
  ADMIN_ALLOWED_ORIGINS: z
    .string()
    .regex(/^https?:\/\/[^\s,]+(,https?:\/\/[^\s,]+)*$/, 'scheme://host[:port], comma-separated')
    .optional(),
  /** Optional bearer token for /admin (automation); at least 32 characters. */
  ADMIN_TOKEN: z.string().min(32).max(512).optional(),
  /**
   * Token login (Authorization: Bearer <JWT> from the app's login service; `sub` is the userId): one of
   * an HS256 secret (32+ characters), a PEM public key, or a JWKS URL. None: token login is off.
   */
  JWT_SECRET: z.string().min(32, 'at least 32 characters').max(4_096).optional(),
  JWT_PUBLIC_KEY: z.string().includes('PUBLIC KEY', { message: 'a PEM public key' }).optional(),
  JWT_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  JWT_ISSUER: z.string().min(1).max(512).optional(),
  JWT_AUDIENCE: z.string().min(1).max(512).optional(),
  /** Longest a token may be valid: its exp at most this far ahead, its iat (when present) at most this old. */
  JWT_MAX_AGE_SECONDS: integer(60, 86_400).default(3_600),
  /** Bull Board without retry/clean/promote buttons. */
  BULL_BOARD_READ_ONLY: z.enum(['true', 'false']).default('false'),
});

export type Env = z.input<typeof schema>;

export interface Config {
  env: 'development' | 'test' | 'production';
  http: {
    host: string;
    port: number;
    processes: number;
    trustProxy: boolean;
    proxyHops: number;
    requestTimeoutMs: number;
    headersTimeoutMs: number;
    listenBacklog: number;
    fanOutMax: number;
    loginDeadlineMs: number;
    heartbeatMs: number;
    campaignCacheTtlMs: number;
    soldOutView: { enabled: boolean; checkEveryMs: number; maxHolders: number };
    bodyLimitBytes: number;
    retryAfterSeconds: number;
    shutdownGraceMs: number;
  };
  metrics: { host: string; port: number };
  worker: { host: string; port: number };
  mongo: { url: string; operationTimeoutMs: number; maxPoolSize: number };
  redis: { url: string; clusterNodes: string[] | null; keyPrefix: string; commandTimeoutMs: number };
  queue: {
    prefix: string;
    enqueueTimeoutMs: number;
    attempts: number;
    backoffMs: number;
    backoffMaxMs: number;
    workerConcurrency: number;
    lockDurationMs: number;
    stalledIntervalMs: number;
  };
  reconcile: { intervalMs: number; graceMs: number; watchIntervalMs: number };
  admin: {
    username: string;
    password: string;
    token: string | null;
    boardReadOnly: boolean;
    failures: { allowed: number; backoffSeconds: number };
    allowedOrigins: string[];
  };
  jwt: TokenOptions;
  passwordHash: {
    profile: keyof typeof SCRYPT_PROFILES;
    logN: number;
    r: number;
    p: number;
    maxConcurrent: number;
    maxWaiting: number;
    maxWaitMs: number;
  };
  rateLimits: {
    profile: keyof typeof RATE_LIMIT_PROFILES;
    perIp: { points: number; windowSeconds: number };
    perAccount: { points: number; windowSeconds: number };
    failures: { allowed: number; backoffSeconds: number };
    accountFailures: { allowed: number };
    knownAddressDays: number;
  };
  logLevel: string;
}

function tokenKey(e: z.infer<typeof schema>): TokenKey {
  if (e.JWT_SECRET !== undefined) return { kind: 'secret', secret: e.JWT_SECRET };
  if (e.JWT_PUBLIC_KEY !== undefined) return { kind: 'public-key', pem: e.JWT_PUBLIC_KEY.replace(/\\n/g, '\n') };
  if (e.JWT_JWKS_URL !== undefined) return { kind: 'jwks', url: e.JWT_JWKS_URL };
  return { kind: 'none' };
}

/** Every environment variable the configuration reads (`.env.example` lists each one; a test checks it). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

const ADMIN_PASSWORD_RULE = { minLength: 16, minBits: 50 };
const SECRET_RULE = { minLength: 32, minBits: 96 };

/** Settings fit for development and tests that must never reach production; each one named. */
function productionRefusals(e: z.infer<typeof schema>, env: Record<string, string | undefined>, config: Config) {
  const refused: string[] = [];
  if (e.PASSWORD_HASH_PROFILE === 'test' || config.passwordHash.logN < SCRYPT_PROFILES.standard.logN) {
    refused.push('PASSWORD_HASH_PROFILE=test: cheap password hashing');
  }
  if (env.ADMIN_PASSWORD === undefined || e.ADMIN_PASSWORD.trim() === DEV_ADMIN_PASSWORD) {
    refused.push('ADMIN_PASSWORD: must be set, and not to the development default');
  } else {
    for (const weakness of weaknesses(e.ADMIN_PASSWORD, ADMIN_PASSWORD_RULE))
      refused.push(`ADMIN_PASSWORD: ${weakness}`);
  }
  for (const [name, value] of [
    ['ADMIN_TOKEN', e.ADMIN_TOKEN],
    ['JWT_SECRET', e.JWT_SECRET],
  ] as const) {
    if (value !== undefined)
      for (const weakness of weaknesses(value, SECRET_RULE)) refused.push(`${name}: ${weakness}`);
  }
  if (e.JWT_JWKS_URL !== undefined && !e.JWT_JWKS_URL.startsWith('https://')) {
    refused.push('JWT_JWKS_URL: https only (the signing keys must not travel in the clear)');
  }
  if (e.RATE_LIMIT_PROFILE === 'relaxed') refused.push('RATE_LIMIT_PROFILE=relaxed: login limits lifted');
  const limits = config.rateLimits;
  const bounds = PRODUCTION_LIMIT_BOUNDS;
  if (limits.perIp.points > bounds.perIpPoints || limits.perAccount.points > bounds.perAccountPoints) {
    refused.push(
      `RATE_LIMIT_*_POINTS: at most ${bounds.perIpPoints} per address and ${bounds.perAccountPoints} per account in one window`,
    );
  }
  if (limits.perIp.points / limits.perIp.windowSeconds > bounds.perIpPerSecond) {
    refused.push(`RATE_LIMIT_IP_*: at most ${bounds.perIpPerSecond} attempts per second per address`);
  }
  if (limits.perAccount.points / limits.perAccount.windowSeconds > bounds.perAccountPerSecond) {
    refused.push('RATE_LIMIT_ACCOUNT_*: at most 100 attempts per minute per account');
  }
  if (limits.failures.allowed > bounds.failuresAllowed) {
    refused.push(`LOGIN_FAILURES_ALLOWED: at most ${bounds.failuresAllowed}`);
  }
  if (limits.accountFailures.allowed > bounds.accountFailuresAllowed) {
    refused.push(`LOGIN_ACCOUNT_FAILURES_ALLOWED: at most ${bounds.accountFailuresAllowed}`);
  }
  if (limits.failures.backoffSeconds < bounds.minBackoffSeconds) {
    refused.push(`LOGIN_BACKOFF_SECONDS: at least ${bounds.minBackoffSeconds}`);
  }
  return refused;
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
  if ([e.JWT_SECRET, e.JWT_PUBLIC_KEY, e.JWT_JWKS_URL].filter((key) => key !== undefined).length > 1) {
    throw new AppError(
      'CONFIG_INVALID',
      'invalid configuration:\n  JWT_SECRET, JWT_PUBLIC_KEY, JWT_JWKS_URL: set one of them',
    );
  }
  const profile = SCRYPT_PROFILES[e.PASSWORD_HASH_PROFILE];
  const limits = RATE_LIMIT_PROFILES[e.RATE_LIMIT_PROFILE];
  const logN = Math.max(profile.logN, e.SCRYPT_LOG_N ?? 0);
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    throw new AppError(
      'CONFIG_INVALID',
      'invalid configuration:\n  HTTP_HEADERS_TIMEOUT_MS: at most HTTP_REQUEST_TIMEOUT_MS',
    );
  }
  const config: Config = {
    env: e.NODE_ENV,
    http: {
      host: e.HOST,
      port: e.PORT,
      processes: e.API_PROCESSES,
      trustProxy: e.TRUST_PROXY === 'true',
      proxyHops: e.TRUSTED_PROXY_HOPS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      listenBacklog: e.HTTP_LISTEN_BACKLOG,
      fanOutMax: e.LOGIN_FANOUT_MAX,
      loginDeadlineMs: e.LOGIN_DEADLINE_MS,
      heartbeatMs: e.API_HEARTBEAT_MS,
      campaignCacheTtlMs: e.CAMPAIGN_CACHE_TTL_MS,
      soldOutView: {
        enabled: e.SOLD_OUT_VIEW === 'true',
        checkEveryMs: e.SOLD_OUT_VIEW_CHECK_MS,
        maxHolders: e.SOLD_OUT_VIEW_MAX_HOLDERS,
      },
      bodyLimitBytes: e.BODY_LIMIT_BYTES,
      retryAfterSeconds: e.RETRY_AFTER_SECONDS,
      shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    },
    metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT },
    worker: { host: e.WORKER_HOST, port: e.WORKER_PORT },
    mongo: { url: e.MONGO_URL, operationTimeoutMs: e.MONGO_OPERATION_TIMEOUT_MS, maxPoolSize: e.MONGO_MAX_POOL_SIZE },
    redis: {
      url: e.REDIS_URL,
      clusterNodes: e.REDIS_CLUSTER_NODES?.split(',') ?? null,
      keyPrefix: e.REDIS_KEY_PREFIX,
      commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    },
    queue: {
      prefix: e.QUEUE_PREFIX,
      enqueueTimeoutMs: e.ENQUEUE_TIMEOUT_MS,
      attempts: e.VOUCHER_JOB_ATTEMPTS,
      backoffMs: e.VOUCHER_JOB_BACKOFF_MS,
      backoffMaxMs: e.VOUCHER_JOB_BACKOFF_MAX_MS,
      workerConcurrency: e.WORKER_CONCURRENCY,
      lockDurationMs: e.WORKER_LOCK_DURATION_MS,
      stalledIntervalMs: e.WORKER_STALLED_INTERVAL_MS,
    },
    reconcile: {
      intervalMs: e.RECONCILE_INTERVAL_MS,
      graceMs: e.RECONCILE_GRACE_MS,
      watchIntervalMs: e.WORKER_WATCH_INTERVAL_MS,
    },
    jwt: { key: tokenKey(e), issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE, maxAgeSeconds: e.JWT_MAX_AGE_SECONDS },
    admin: {
      username: e.ADMIN_USERNAME,
      password: e.ADMIN_PASSWORD,
      token: e.ADMIN_TOKEN ?? null,
      boardReadOnly: e.BULL_BOARD_READ_ONLY === 'true',
      failures: { allowed: e.ADMIN_FAILURES_ALLOWED, backoffSeconds: e.ADMIN_BACKOFF_SECONDS },
      allowedOrigins: e.ADMIN_ALLOWED_ORIGINS?.split(',') ?? [],
    },
    passwordHash: {
      profile: e.PASSWORD_HASH_PROFILE,
      logN,
      r: profile.r,
      p: profile.p,
      maxConcurrent: e.HASH_MAX_CONCURRENT,
      maxWaiting: e.HASH_MAX_WAITING,
      maxWaitMs: e.HASH_MAX_WAIT_MS,
    },
    rateLimits: {
      profile: e.RATE_LIMIT_PROFILE,
      perIp: {
        points: e.RATE_LIMIT_IP_POINTS ?? limits.perIp.points,
        windowSeconds: e.RATE_LIMIT_IP_WINDOW_SECONDS ?? limits.perIp.windowSeconds,
      },
      perAccount: {
        points: e.RATE_LIMIT_ACCOUNT_POINTS ?? limits.perAccount.points,
        windowSeconds: e.RATE_LIMIT_ACCOUNT_WINDOW_SECONDS ?? limits.perAccount.windowSeconds,
      },
      failures: {
        allowed: e.LOGIN_FAILURES_ALLOWED ?? limits.failures.allowed,
        backoffSeconds: e.LOGIN_BACKOFF_SECONDS ?? limits.failures.backoffSeconds,
      },
      accountFailures: { allowed: e.LOGIN_ACCOUNT_FAILURES_ALLOWED ?? limits.accountFailures.allowed },
      knownAddressDays: e.LOGIN_KNOWN_ADDRESS_DAYS ?? limits.knownAddressDays,
    },
    logLevel: e.LOG_LEVEL,
  };
  if (e.NODE_ENV === 'production') {
    const refused = productionRefusals(e, env, config);
    if (refused.length > 0) {
      throw new AppError('CONFIG_INVALID', `refused in production:\n  ${refused.join('\n  ')}`, { problems: refused });
    }
  }
  return config;
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
