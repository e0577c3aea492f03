import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

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
 * Login limits shared by every API process, in Redis (rate-limiter-flexible, one Lua call per limiter).
 * If Redis does not answer, each process falls back to the same limits in memory rather than letting
 * everything through.
 */
export class RedisLoginThrottle implements LoginThrottle {
  private readonly perIp: RateLimiterAbstract;
  private readonly perAccount: RateLimiterAbstract;
  private readonly failures: RateLimiterAbstract;

  constructor(
    redis: RedisClient,
    keyPrefix: string,
    private readonly limits: LoginLimits,
  ) {
    const limiter = (name: string, points: number, duration: number, blockDuration = 0) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${keyPrefix}:rl:${name}`,
        points,
        duration,
        blockDuration,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: `${name}-fallback`, points, duration, blockDuration }),
      });
    this.perIp = limiter('ip', limits.perIp.points, limits.perIp.windowSeconds);
    this.perAccount = limiter('account', limits.perAccount.points, limits.perAccount.windowSeconds);
    this.failures = limiter(
      'failures',
      limits.failures.allowed,
      limits.failures.backoffSeconds,
      limits.failures.backoffSeconds,
    );
  }

  async admit({ account, clientIp }: { account: string; clientIp: string }): Promise<void> {
    const key = accountKey(account);
    const failures = await this.failures.get(key);
    if (failures !== null && failures.consumedPoints >= this.limits.failures.allowed) {
      throw limited(failures, 'account', 'too many wrong passwords');
    }
    await consume(this.perIp, clientIp, 'client');
    await consume(this.perAccount, key, 'account');
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

async function consume(limiter: RateLimiterAbstract, key: string, scope: 'client' | 'account'): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) throw limited(rejection, scope);
    throw rejection;
  }
}
