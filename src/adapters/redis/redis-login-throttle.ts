import { isIPv6 } from 'node:net';

import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  RLWrapperTimeouts,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

import { AppError } from '../../errors';
import type { LoginAttempt, LoginThrottle } from '../../ports/login-throttle.port';
import type { RedisClient } from './scripts';

export interface LoginLimits {
  /** Attempts per client address per window (shared by everyone behind one NAT: keep it generous). */
  perIp: { points: number; windowSeconds: number };
  /** Attempts per account from one address per window (and per token user). */
  perAccount: { points: number; windowSeconds: number };
  /** Wrong passwords for an account from one address before that pair is refused for `backoffSeconds`. */
  failures: { allowed: number; backoffSeconds: number };
  /** Wrong passwords for an account from every address together, per `backoffSeconds`. */
  accountFailures: { allowed: number };
  /** How long an address an account logged in from is exempt from the account-wide back-off. */
  knownAddressDays: number;
}

const DAY_SECONDS = 86_400;

/**
 * Login limits shared by every API process, in Redis (rate-limiter-flexible, one Lua call per limiter,
 * in parallel). If Redis does not answer within `timeoutMs`, each process falls back to the same limits in
 * memory rather than letting everything through, and a frozen Redis costs a login 100 ms here, not several
 * command timeouts: the 503 still comes within a second.
 *
 * Guessing is throttled where it cannot be turned against the account's owner: wrong passwords back off
 * the (account, address) pair, so an attacker's address is refused while the owner, elsewhere, logs in.
 * An attacker with many addresses meets the account-wide cap instead, which closes the account to every
 * address except those it logged in from successfully in the last `knownAddressDays`.
 */
export class RedisLoginThrottle implements LoginThrottle {
  private readonly perIp: RateLimiterAbstract;
  private readonly perAccount: RateLimiterAbstract;
  /** Token users, by userId: a budget of their own, which no password login (any account name) can spend. */
  private readonly perUser: RateLimiterAbstract;
  private readonly failures: RateLimiterAbstract;
  private readonly accountFailures: RateLimiterAbstract;
  private readonly knownAddresses: RateLimiterAbstract;

  constructor(
    redis: RedisClient,
    keyPrefix: string,
    private readonly limits: LoginLimits,
    timeoutMs = 100,
  ) {
    const limiter = (name: string, points: number, duration: number, blockDuration = 0) =>
      new RLWrapperTimeouts({
        limiter: new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `${keyPrefix}:rl:${name}`,
          points,
          duration,
          blockDuration,
        }),
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: `${name}-fallback`, points, duration, blockDuration }),
        timeoutMs,
      });
    const backoff = limits.failures.backoffSeconds;
    this.perIp = limiter('ip', limits.perIp.points, limits.perIp.windowSeconds);
    this.perAccount = limiter('account', limits.perAccount.points, limits.perAccount.windowSeconds);
    this.perUser = limiter('user', limits.perAccount.points, limits.perAccount.windowSeconds);
    this.failures = limiter('failures', limits.failures.allowed, backoff, backoff);
    this.accountFailures = limiter('account-failures', limits.accountFailures.allowed, backoff, backoff);
    // Remembered in Redis only (a memory fallback cannot time a month): when Redis does not answer, an
    // address counts as unknown, which matters only once the account-wide cap is reached.
    this.knownAddresses = new RLWrapperTimeouts({
      limiter: new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${keyPrefix}:rl:known`,
        points: 1,
        duration: limits.knownAddressDays * DAY_SECONDS,
      }),
      timeoutMs,
    });
  }

  async admit(attempt: LoginAttempt): Promise<void> {
    const account = accountKey(attempt.account);
    const pair = pairKey(attempt);
    const [failures, accountFailures, ...attempts] = await Promise.allSettled([
      this.failures.get(pair),
      this.accountFailures.get(account),
      consume(this.perIp, addressBucket(attempt.clientIp), 'client'),
      consume(this.perAccount, pair, 'account'),
    ]);
    if (failures.status === 'rejected') throw failures.reason;
    if (accountFailures.status === 'rejected') throw accountFailures.reason;
    // A back-off says more than an attempt limit, so it is the one reported when both apply.
    if (failures.value !== null && failures.value.consumedPoints >= this.limits.failures.allowed) {
      throw limited(failures.value, 'account', 'too many wrong passwords');
    }
    const accountWide = accountFailures.value;
    if (accountWide !== null && accountWide.consumedPoints >= this.limits.accountFailures.allowed) {
      if ((await this.knownAddresses.get(pair).catch(() => null)) === null) {
        throw limited(accountWide, 'account', 'too many wrong passwords for this account');
      }
    }
    throwFirstRejection(attempts);
  }

  async admitToken({ userId, clientIp }: { userId: string; clientIp: string }): Promise<void> {
    throwFirstRejection(
      await Promise.allSettled([
        consume(this.perIp, addressBucket(clientIp), 'client'),
        consume(this.perUser, userId, 'account'),
      ]),
    );
  }

  async recordFailure(attempt: LoginAttempt): Promise<void> {
    await Promise.all([
      this.failures.penalty(pairKey(attempt), 1),
      this.accountFailures.penalty(accountKey(attempt.account), 1),
    ]);
  }

  async recordSuccess(attempt: LoginAttempt): Promise<void> {
    const pair = pairKey(attempt);
    await Promise.all([
      this.failures.delete(pair),
      this.knownAddresses.set(pair, 1, this.limits.knownAddressDays * DAY_SECONDS),
    ]);
  }
}

/** Accounts are compared case-insensitively here, so "Alice" and "alice" share one budget. */
function accountKey(account: string): string {
  return account.trim().toLowerCase();
}

function pairKey({ account, clientIp }: LoginAttempt): string {
  return `${accountKey(account)}|${addressBucket(clientIp)}`;
}

/**
 * The unit an address is counted in: an IPv4 address itself, an IPv6 address's /64 (one subscriber's
 * network: whoever holds one can use 2^64 addresses).
 */
export function addressBucket(address: string): string {
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('::', 2);
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

function limited(res: RateLimiterRes, scope: 'client' | 'account', reason = 'too many attempts'): AppError {
  const retryAfterSeconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new AppError('RATE_LIMITED', undefined, { scope, reason, retryAfterSeconds });
}

/** Every limit is counted (all run to the end), then the first refusal, if any, is the answer. */
function throwFirstRejection(results: readonly PromiseSettledResult<unknown>[]): void {
  for (const result of results) if (result.status === 'rejected') throw result.reason;
}

async function consume(limiter: RateLimiterAbstract, key: string, scope: 'client' | 'account'): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) throw limited(rejection, scope);
    throw rejection;
  }
}
