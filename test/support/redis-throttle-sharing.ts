import { RedisLoginThrottle } from '../../src/adapters/redis/redis-login-throttle';
import type { RedisClient } from '../../src/adapters/redis/scripts';
import { RATE_LIMIT_PROFILES } from '../../src/config';

/**
 * Beyond the LoginThrottle contract (which the in-process fallback would pass too): two RedisLoginThrottle
 * instances, as two API processes, share their counts through Redis.
 */
export function throttleSharingTest(name: string, redis: () => RedisClient, keyPrefix: string): void {
  test(`RedisLoginThrottle (${name}): wrong passwords counted by one process back off the account in another`, async () => {
    // Both processes would admit the attempt from memory if the counts fell back there: only Redis shares them.
    const limits = { ...RATE_LIMIT_PROFILES.relaxed, failures: { allowed: 2, backoffSeconds: 60 } };
    const first = new RedisLoginThrottle(redis(), keyPrefix, limits, () => 1, 2_000);
    const second = new RedisLoginThrottle(redis(), keyPrefix, limits, () => 1, 2_000);
    const attempt = { account: 'shared', clientIp: '192.0.2.7' };
    await first.recordFailure(attempt);
    await first.recordFailure(attempt);
    await expect(second.admit(attempt)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await second.recordSuccess(attempt);
    await expect(first.admit(attempt)).resolves.toBeUndefined();
  });
}
