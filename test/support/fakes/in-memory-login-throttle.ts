import { addressBucket } from '../../../src/adapters/ip-address';
import type { LoginLimits } from '../../../src/adapters/redis/redis-login-throttle';
import { AppError } from '../../../src/errors';
import type { LoginAttempt, LoginThrottle } from '../../../src/ports/login-throttle.port';

/** A count that starts with its first point and is forgotten `durationMs` later (a fixed window). */
class Windows {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();

  constructor(
    private readonly durationMs: number,
    private readonly now: () => number,
  ) {}

  count(key: string): number {
    return this.live(key)?.count ?? 0;
  }

  add(key: string): void {
    const window = this.live(key) ?? { count: 0, endsAt: this.now() + this.durationMs };
    window.count += 1;
    this.windows.set(key, window);
  }

  delete(key: string): void {
    this.windows.delete(key);
  }

  retryAfterSeconds(key: string): number {
    return Math.max(1, Math.ceil(((this.live(key)?.endsAt ?? this.now()) - this.now()) / 1_000));
  }

  private live(key: string) {
    const window = this.windows.get(key);
    return window !== undefined && window.endsAt > this.now() ? window : undefined;
  }
}

/** An attempt limit: `points` per window per key; a refusal is still an attempt that counted. */
class AttemptLimit {
  private readonly windows: Windows;

  constructor(
    private readonly points: number,
    windowSeconds: number,
    now: () => number,
  ) {
    this.windows = new Windows(windowSeconds * 1_000, now);
  }

  /** Counts the attempt; the error to throw when it is one too many, else null. */
  consume(key: string, scope: 'client' | 'account'): AppError | null {
    if (this.windows.count(key) >= this.points) return limited(this.windows.retryAfterSeconds(key), scope);
    this.windows.add(key);
    return null;
  }
}

function limited(retryAfterSeconds: number, scope: 'client' | 'account', reason = 'too many attempts'): AppError {
  return new AppError('RATE_LIMITED', undefined, { scope, reason, retryAfterSeconds });
}

const DAY_MS = 86_400_000;
const accountKey = (account: string): string => account.trim().toLowerCase();
const pairKey = ({ account, clientIp }: LoginAttempt): string => `${accountKey(account)}|${addressBucket(clientIp)}`;

/**
 * The login limits in one process's memory, on the caller's clock: the same rules as RedisLoginThrottle (and
 * the same LoginThrottle contract), for unit tests that need limits to bite.
 */
export class InMemoryLoginThrottle implements LoginThrottle {
  private readonly perIp: AttemptLimit;
  private readonly perAccount: AttemptLimit;
  private readonly perUser: AttemptLimit;
  private readonly failures: Windows;
  private readonly accountFailures: Windows;
  /** (account, address) -> until when it counts as an address the account logged in from. */
  private readonly known = new Map<string, number>();

  constructor(
    private readonly limits: LoginLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.perIp = new AttemptLimit(limits.perIp.points, limits.perIp.windowSeconds, now);
    this.perAccount = new AttemptLimit(limits.perAccount.points, limits.perAccount.windowSeconds, now);
    this.perUser = new AttemptLimit(limits.perAccount.points, limits.perAccount.windowSeconds, now);
    this.failures = new Windows(limits.failures.backoffSeconds * 1_000, now);
    this.accountFailures = new Windows(limits.failures.backoffSeconds * 1_000, now);
  }

  async admit(attempt: LoginAttempt): Promise<void> {
    const pair = pairKey(attempt);
    const account = accountKey(attempt.account);
    const refusals = [
      this.perIp.consume(addressBucket(attempt.clientIp), 'client'),
      this.perAccount.consume(pair, 'account'),
    ];
    // A back-off says more than an attempt limit, so it is the one reported when both apply.
    if (this.failures.count(pair) >= this.limits.failures.allowed) {
      throw limited(this.failures.retryAfterSeconds(pair), 'account', 'too many wrong passwords');
    }
    const knownUntil = this.known.get(pair) ?? 0;
    if (this.accountFailures.count(account) >= this.limits.accountFailures.allowed && knownUntil <= this.now()) {
      throw limited(
        this.accountFailures.retryAfterSeconds(account),
        'account',
        'too many wrong passwords for this account',
      );
    }
    throwFirst(refusals);
  }

  async admitToken(attempt: { userId: string; clientIp: string }): Promise<void> {
    this.admitTokenAtOnce(attempt);
  }

  /** Every limit lives in this process: always decided at once. */
  admitTokenAtOnce({ userId, clientIp }: { userId: string; clientIp: string }): boolean {
    throwFirst([this.perIp.consume(addressBucket(clientIp), 'client'), this.perUser.consume(userId, 'account')]);
    return true;
  }

  async recordFailure(attempt: LoginAttempt): Promise<void> {
    this.failures.add(pairKey(attempt));
    this.accountFailures.add(accountKey(attempt.account));
  }

  async recordSuccess(attempt: LoginAttempt): Promise<void> {
    const pair = pairKey(attempt);
    this.failures.delete(pair);
    this.known.set(pair, this.now() + this.limits.knownAddressDays * DAY_MS);
  }
}

function throwFirst(refusals: readonly (AppError | null)[]): void {
  for (const refusal of refusals) if (refusal !== null) throw refusal;
}
