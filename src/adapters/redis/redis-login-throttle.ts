import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  RLWrapperTimeouts,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

import { AppError } from '../../errors';
import { addressBucket } from '../ip-address';
import { LocalShareLimiter } from '../memory/local-share-limiter';
import { accountKey, RedisLoginLedger, type LedgerRefusal } from './redis-login-ledger';
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

/**
 * Login limits across every API process. The attempt limits (per address, per account and address, per
 * token user) are split among the live processes, each admitting its share locally (LocalShareLimiter):
 * no Redis round trip for them on the request path, and never more than the limit in total. The failure
 * counts, back-offs and known addresses are kept in Redis (RedisLoginLedger: one script call before the
 * password check and one after it), as every process must see every wrong password. If Redis does not
 * answer within `timeoutMs`, each process falls back to the same limits in memory rather than letting
 * everything through, and a frozen Redis costs a login 100 ms here, not several command timeouts: the 503
 * still comes within a second.
 *
 * Guessing is throttled where it cannot be turned against the account's owner: wrong passwords back off
 * the (account, address) pair, so an attacker's address is refused while the owner, elsewhere, logs in.
 * An attacker with many addresses meets the account-wide cap instead, which closes the account to every
 * address except those it logged in from successfully in the last `knownAddressDays`.
 */
export class RedisLoginThrottle implements LoginThrottle {
  private readonly perIp: LocalShareLimiter;
  private readonly perAccount: LocalShareLimiter;
  /** Token users, by userId: a budget of their own, which no password login (any account name) can spend. */
  private readonly perUser: LocalShareLimiter;
  private readonly ledger: RedisLoginLedger;

  constructor(
    redis: RedisClient,
    keyPrefix: string,
    private readonly limits: LoginLimits,
    /** Live API processes: the attempt limits are split among them, each deciding its share locally. */
    processes: () => number,
    timeoutMs = 100,
  ) {
    const limiter = sharedLimiter(redis, keyPrefix, timeoutMs);
    const local = (name: string, { points, windowSeconds }: { points: number; windowSeconds: number }) =>
      new LocalShareLimiter(points, windowSeconds * 1_000, processes, limiter(name, points, windowSeconds));
    this.perIp = local('ip', limits.perIp);
    this.perAccount = local('account', limits.perAccount);
    this.perUser = local('user', limits.perAccount);
    this.ledger = new RedisLoginLedger(
      redis,
      keyPrefix,
      {
        backoffSeconds: limits.failures.backoffSeconds,
        pairAllowed: limits.failures.allowed,
        accountAllowed: limits.accountFailures.allowed,
        knownAddressDays: limits.knownAddressDays,
      },
      timeoutMs,
      { processes },
    );
  }

  async admit(attempt: LoginAttempt): Promise<void> {
    const pair = `${accountKey(attempt.account)}|${addressBucket(attempt.clientIp)}`;
    const [refusal, ...attempts] = await Promise.allSettled([
      this.ledger.admit(attempt),
      consume(this.perIp, addressBucket(attempt.clientIp), 'client'),
      consume(this.perAccount, pair, 'account'),
    ]);
    if (refusal.status === 'rejected') throw refusal.reason;
    // A back-off says more than an attempt limit, so it is the one reported when both apply.
    if (refusal.value !== null) throw refusedBy(refusal.value);
    if (attempts.some((result) => result.status === 'rejected')) await this.ledger.release(attempt);
    throwFirstRejection(attempts);
  }

  admitTokenAtOnce({ userId, clientIp }: { userId: string; clientIp: string }): boolean {
    if (!this.perIp.decidesLocally() || !this.perUser.decidesLocally()) return false;
    // Both counted, then the first refusal thrown: as admitToken does.
    const ip = this.perIp.take(addressBucket(clientIp));
    const user = this.perUser.take(userId);
    if (ip !== null) throw limited(ip, 'client');
    if (user !== null) throw limited(user, 'account');
    return true;
  }

  async admitToken({ userId, clientIp }: { userId: string; clientIp: string }): Promise<void> {
    throwFirstRejection(
      await Promise.allSettled([
        consume(this.perIp, addressBucket(clientIp), 'client'),
        consume(this.perUser, userId, 'account'),
      ]),
    );
  }

  /** Best effort: the answer (wrong password) stands whether or not the count could be written. */
  async recordFailure(attempt: LoginAttempt): Promise<void> {
    await this.ledger.recordFailure(attempt);
  }

  /** Best effort: a login that succeeded never fails because its bookkeeping timed out. */
  async recordSuccess(attempt: LoginAttempt): Promise<void> {
    await this.ledger.recordSuccess(attempt);
  }

  async release(attempt: LoginAttempt): Promise<void> {
    await this.ledger.release(attempt);
  }
}

const REFUSAL_REASONS: Record<LedgerRefusal['reason'], string> = {
  pair: 'too many wrong passwords',
  'pair-held': 'too many password checks in progress',
  account: 'too many wrong passwords for this account',
  'account-held': 'too many password checks in progress for this account',
};

function refusedBy({ reason, msLeft }: LedgerRefusal): AppError {
  return limited({ msBeforeNext: msLeft }, 'account', REFUSAL_REASONS[reason]);
}

/**
 * A limiter kept in Redis under <prefix>:rl:<name>, shared by every process; when Redis does not answer
 * within `timeoutMs`, the same limit in this process's memory instead of none.
 */
export function sharedLimiter(redis: RedisClient, keyPrefix: string, timeoutMs: number) {
  return (name: string, points: number, duration: number, blockDuration = 0): RateLimiterAbstract =>
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
}

export function limited(
  res: { msBeforeNext: number },
  scope: 'client' | 'account',
  reason = 'too many attempts',
): AppError {
  const retryAfterSeconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new AppError('RATE_LIMITED', undefined, { scope, reason, retryAfterSeconds });
}

/** Every limit is counted (all run to the end), then the first refusal, if any, is the answer. */
function throwFirstRejection(results: readonly PromiseSettledResult<unknown>[]): void {
  for (const result of results) if (result.status === 'rejected') throw result.reason;
}

async function consume(
  limiter: { consume(key: string): Promise<unknown> },
  key: string,
  scope: 'client' | 'account',
): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) throw limited(rejection, scope);
    throw rejection;
  }
}
