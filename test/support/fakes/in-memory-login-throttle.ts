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

  /** Counts one; `renewAt` (a limit) starts the window again when the count reaches it. */
  add(key: string, renewAt = Infinity): void {
    const window = this.live(key) ?? { count: 0, endsAt: this.now() + this.durationMs };
    window.count += 1;
    if (window.count >= renewAt) window.endsAt = this.now() + this.durationMs;
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
const accountKey = (account: string): string => account.trim();
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
  /** Pair or account -> places held by attempts in flight. */
  private readonly held = new Map<string, number>();
  /** The attempts admitted and not yet settled (each gives its place back once). */
  private readonly inFlight = new WeakSet<LoginAttempt>();

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
    const { allowed } = this.limits.failures;
    // A back-off says more than an attempt limit, so it is the one reported when both apply.
    if (this.failures.count(pair) >= allowed) {
      throw limited(this.failures.retryAfterSeconds(pair), 'account', 'too many wrong passwords');
    }
    if (this.failures.count(pair) + (this.held.get(pair) ?? 0) >= allowed) {
      throw limited(1, 'account', 'too many password checks in progress');
    }
    if ((this.known.get(pair) ?? 0) <= this.now()) {
      const capped = this.limits.accountFailures.allowed;
      if (this.accountFailures.count(account) >= capped) {
        throw limited(
          this.accountFailures.retryAfterSeconds(account),
          'account',
          'too many wrong passwords for this account',
        );
      }
      if (this.accountFailures.count(account) + (this.held.get(account) ?? 0) >= capped) {
        throw limited(1, 'account', 'too many password checks in progress for this account');
      }
    }
    if (refusals.some((refusal) => refusal !== null)) throwFirst(refusals);
    this.hold(pair, 1);
    this.hold(account, 1);
    this.inFlight.add(attempt);
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
    this.giveBack(attempt);
    this.failures.add(pairKey(attempt), this.limits.failures.allowed);
    this.accountFailures.add(accountKey(attempt.account), this.limits.accountFailures.allowed);
  }

  async recordSuccess(attempt: LoginAttempt): Promise<void> {
    const pair = pairKey(attempt);
    this.giveBack(attempt);
    this.failures.delete(pair);
    this.known.set(pair, this.now() + this.limits.knownAddressDays * DAY_MS);
  }

  async release(attempt: LoginAttempt): Promise<void> {
    this.giveBack(attempt);
  }

  private giveBack(attempt: LoginAttempt): void {
    if (!this.inFlight.delete(attempt)) return;
    this.hold(pairKey(attempt), -1);
    this.hold(accountKey(attempt.account), -1);
  }

  /** Places held by attempts admitted and not yet settled (never below none). */
  private hold(key: string, change: 1 | -1): void {
    const held = Math.max(0, (this.held.get(key) ?? 0) + change);
    if (held === 0) this.held.delete(key);
    else this.held.set(key, held);
  }
}

function throwFirst(refusals: readonly (AppError | null)[]): void {
  for (const refusal of refusals) if (refusal !== null) throw refusal;
}
