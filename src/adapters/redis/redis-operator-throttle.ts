import type { RateLimiterAbstract } from 'rate-limiter-flexible';

import type { OperatorThrottle } from '../../ports/operator-throttle.port';
import { addressBucket } from '../ip-address';
import { limited, sharedLimiter } from './redis-login-throttle';
import type { RedisClient } from './scripts';

/**
 * Wrong operator credentials, counted per client address in Redis: past `allowed` in `backoffSeconds`,
 * that address gets 429 on /admin until the back-off ends, even with the right credentials. Other
 * addresses are not affected, so nobody can lock the operators out from elsewhere.
 */
export class RedisOperatorThrottle implements OperatorThrottle {
  private readonly failures: RateLimiterAbstract;
  private readonly allowed: number;

  constructor(redis: RedisClient, keyPrefix: string, limits: { allowed: number; backoffSeconds: number }) {
    const { allowed, backoffSeconds } = limits;
    this.failures = sharedLimiter(redis, keyPrefix, 100)('operator-failures', allowed, backoffSeconds, backoffSeconds);
    this.allowed = allowed;
  }

  async admit(clientIp: string): Promise<void> {
    const seen = await this.failures.get(addressBucket(clientIp));
    if (seen !== null && seen.consumedPoints >= this.allowed) {
      throw limited(seen, 'client', 'too many wrong operator credentials');
    }
  }

  /** Best effort: the answer (401) stands whether or not the count could be written. */
  async recordFailure(clientIp: string): Promise<void> {
    await this.failures.penalty(addressBucket(clientIp), 1).catch(() => undefined);
  }
}
