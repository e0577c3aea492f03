import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  RLWrapperTimeouts,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

import { AppError } from '../../errors';
import type { LoginThrottle } from '../../ports/login-throttle.port';
import type { RedisClient } from './scripts';

export interface LoginLimits {
  /** Attempts per client address per window (shared by everyone behind one NAT: keep it generous). */
  perIp: { points: number; windowSeconds: number };
  /** Attempts per account per window. */
  perAccount: { points: number; windowSeconds: number };
  /** Wrong passwords in a row before the account is refused for `backoffSeconds`. */
  failures: { allowed: number; backoffSeconds: number };
}

/**
 * Login limits shared by every API process, in Redis (rate-limiter-flexible, one Lua call per limiter,
 * the three in parallel). If Redis does not answer within `timeoutMs`, each process falls back to the same
 * limits in memory rather than letting everything through, and a frozen Redis costs a login 100 ms here,
 * not three command timeouts: the 503 still comes within a second.
 */
export class RedisLoginThrottle implements LoginThrottle {
  private readonly perIp: RateLimiterAbstract;
  private readonly perAccount: RateLimiterAbstract;
  /** Token users, by userId: a budget of their own, which no password login (any account name) can spend. */
  private readonly perUser: RateLimiterAbstract;
  private readonly failures: RateLimiterAbstract;

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
    this.perIp = limiter('ip', limits.perIp.points, limits.perIp.windowSeconds);
    this.perAccount = limiter('account', limits.perAccount.points, limits.perAccount.windowSeconds);
    this.perUser = limiter('user', limits.perAccount.points, limits.perAccount.windowSeconds);
    this.failures = limiter(
      'failures',
      limits.failures.allowed,
      limits.failures.backoffSeconds,
      limits.failures.backoffSeconds,
    );
  }

  async admit({ account, clientIp }: { account: string; clientIp: string }): Promise<void> {
    const key = accountKey(account);
    const [failures, ...attempts] = await Promise.allSettled([
      this.failures.get(key),
      consume(this.perIp, clientIp, 'client'),
      consume(this.perAccount, key, 'account'),
    ]);
    if (failures.status === 'rejected') throw failures.reason;
    // A back-off says more than an attempt limit, so it is the one reported when both apply.
    if (failures.value !== null && failures.value.consumedPoints >= this.limits.failures.allowed) {
      throw limited(failures.value, 'account', 'too many wrong passwords');
    }
    throwFirstRejection(attempts);
  }

  async admitToken({ userId, clientIp }: { userId: string; clientIp: string }): Promise<void> {
    throwFirstRejection(
      await Promise.allSettled([consume(this.perIp, clientIp, 'client'), consume(this.perUser, userId, 'account')]),
    );
  }

  async recordFailure(account: string): Promise<void> {
    await this.failures.penalty(accountKey(account), 1);
  }

  async recordSuccess(account: string): Promise<void> {
    await this.failures.delete(accountKey(account));
  }
}

/** Accounts are compared case-insensitively here, so "Alice" and "alice" share one budget. */
function accountKey(account: string): string {
  return account.trim().toLowerCase();
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
