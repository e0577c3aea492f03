import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { RateLimiterMemory } from 'rate-limiter-flexible';

import { withTimeout } from '../../application/support/dependency-call';
import { addressBucket } from '../ip-address';
import { processShare } from '../memory/local-share-limiter';
import type { LoginAttempt } from '../../ports/login-throttle.port';
import { callScript, numbersFrom, type RedisClient } from './scripts';

/** Why a password login is refused before its check, and for how long (0: until checks in flight settle). */
export interface LedgerRefusal {
  reason: 'pair' | 'pair-held' | 'account' | 'account-held';
  msLeft: number;
}

export interface LedgerLimits {
  /** A count's back-off window: from its first wrong password, and again from the one that reaches its limit. */
  backoffSeconds: number;
  /** Wrong passwords allowed per (account, address) pair, and per account from every address. */
  pairAllowed: number;
  accountAllowed: number;
  knownAddressDays: number;
}

const SCRIPTS = {
  promoLoginAdmit: { file: 'admit.lua', keys: 5 },
  promoLoginFailed: { file: 'failed.lua', keys: 4 },
  promoLoginSucceeded: { file: 'succeeded.lua', keys: 4 },
  promoLoginReleased: { file: 'released.lua', keys: 2 },
} as const;
type LedgerScript = keyof typeof SCRIPTS;

const REFUSALS = { 1: 'pair', 2: 'pair-held', 3: 'account', 4: 'account-held' } as const;
const DAY_SECONDS = 86_400;
/** A place held by a check that is never settled (its process died) is forgotten this long after it was taken. */
export const HOLD_MS = 60_000;

/** Where an admitted login's place is held: in Redis under its own id, or nowhere (admitted from memory). */
type Place = { in: 'redis'; id: string } | { in: 'memory' };

/**
 * The wrong passwords and known addresses of password logins, in Redis, shared by every process: one
 * script call per step of a login (admitted or refused before the password check, then its failure or
 * success), where rate-limiter-flexible made two to four. An admitted login holds a place in both counts
 * until it is settled, so checks in flight at once cannot together pass a limit; each place is an entry of
 * its own, given back by its id only by the login that took it (settle a login with the same attempt object
 * it was admitted with). An account's keys carry it as a hash tag, so each script's keys share a Redis
 * Cluster slot:
 *   <prefix>:rl:{<account>}:failures            the account's wrong passwords from every address
 *   <prefix>:rl:{<account>}:failures:<address>  its wrong passwords from one address (an IPv6 /64)
 *   <prefix>:rl:{<account>}:holds, :holds:<address>  places held by checks in flight (hold id -> lapses at)
 *   <prefix>:rl:{<account>}:known:<address>     it logged in from there within the remembered days
 * The account is the one the user directory looks up: the exact name, trimmed as the edge trims it. In the
 * keys its "%", "{" and "}" are written %25, %7B and %7D: no brace of its own can end or start a tag.
 *
 * When Redis does not answer within `timeoutMs`, the counts are kept in this process's memory for as long as
 * it does not, rather than not at all: each process its share of each limit (memoryShare), in fixed
 * windows, with no places held; a login admitted from memory has its wrong password counted there too,
 * whether or not Redis takes it. The known addresses are not (a memory fallback cannot time a month), so
 * meanwhile every address counts as unknown, which matters only once the account-wide cap is reached.
 */
export class RedisLoginLedger {
  private readonly pairMemory: RateLimiterMemory;
  private readonly accountMemory: RateLimiterMemory;
  private readonly processes: () => number;
  private readonly now: () => number;
  /** Logins admitted and not yet settled: where each one's place is held. */
  private readonly places = new WeakMap<LoginAttempt, Place>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    private readonly limits: LedgerLimits,
    private readonly timeoutMs: number,
    options: {
      /** Live API processes: the memory fallback's limits are split among them. */
      processes?: () => number;
      /** When a held place lapses is reckoned on this clock (ms). */
      now?: () => number;
    } = {},
  ) {
    this.processes = options.processes ?? (() => 1);
    this.now = options.now ?? Date.now;
    for (const [name, { file, keys }] of Object.entries(SCRIPTS)) {
      if (typeof (redis as unknown as Record<string, unknown>)[name] === 'function') continue;
      redis.defineCommand(name, { numberOfKeys: keys, lua: source(file) });
    }
    const { backoffSeconds: duration } = limits;
    this.pairMemory = new RateLimiterMemory({ points: limits.pairAllowed, duration });
    this.accountMemory = new RateLimiterMemory({ points: limits.accountAllowed, duration });
  }

  /** Admits the login (holding its places), or says why not; never rejects. */
  async admit(attempt: LoginAttempt): Promise<LedgerRefusal | null> {
    const keys = this.keysOf(attempt);
    const id = randomUUID();
    let refusal: LedgerRefusal | null;
    try {
      refusal = await this.admitInRedis(keys, id, false);
      // Closed to unknown addresses: an older layout may know this one.
      if (refusal?.reason.startsWith('account') === true && (await this.knownBeforeThisLayout(attempt))) {
        refusal = await this.admitInRedis(keys, id, true);
      }
      if (refusal === null) this.places.set(attempt, { in: 'redis', id });
      return refusal;
    } catch {
      refusal = await this.admitFromMemory(keys);
      if (refusal === null) this.places.set(attempt, { in: 'memory' });
      return refusal;
    }
  }

  /** Best effort: never rejects. */
  async recordFailure(attempt: LoginAttempt): Promise<void> {
    const keys = this.keysOf(attempt);
    const place = this.settle(attempt);
    const { backoffSeconds, pairAllowed, accountAllowed } = this.limits;
    const inMemory = async (): Promise<void> => {
      await Promise.allSettled([this.pairMemory.penalty(keys.pair, 1), this.accountMemory.penalty(keys.account, 1)]);
    };
    try {
      await this.run('promoLoginFailed', [
        ...[keys.pair, keys.account, keys.pairHolds, keys.accountHolds],
        ...[backoffSeconds, pairAllowed, accountAllowed, holdId(place)],
      ]);
    } catch {
      await inMemory();
      return;
    }
    // Admitted from memory: counted there too, or the memory limits would never fill while Redis is late.
    if (place?.in === 'memory') await inMemory();
  }

  /** Best effort: never rejects. */
  async recordSuccess(attempt: LoginAttempt): Promise<void> {
    const keys = this.keysOf(attempt);
    const place = this.settle(attempt);
    const knownSeconds = this.limits.knownAddressDays * DAY_SECONDS;
    try {
      await this.run('promoLoginSucceeded', [
        ...[keys.pair, keys.known, keys.pairHolds, keys.accountHolds],
        ...[knownSeconds, holdId(place)],
      ]);
    } catch {
      await this.pairMemory.delete(keys.pair).catch(() => false);
      return;
    }
    if (place?.in === 'memory') await this.pairMemory.delete(keys.pair).catch(() => false);
  }

  /** An admitted login whose password was not checked after all: its places are given back. Never rejects. */
  async release(attempt: LoginAttempt): Promise<void> {
    const place = this.settle(attempt);
    if (place?.in !== 'redis') return;
    const keys = this.keysOf(attempt);
    await this.run('promoLoginReleased', [keys.pairHolds, keys.accountHolds, place.id]).catch(() => undefined);
  }

  /** Where the login's place was held; forgotten here, as it is settled now. */
  private settle(attempt: LoginAttempt): Place | undefined {
    const place = this.places.get(attempt);
    this.places.delete(attempt);
    return place;
  }

  private async admitFromMemory(keys: LedgerKeys): Promise<LedgerRefusal | null> {
    const [pair, account] = await Promise.all([this.pairMemory.get(keys.pair), this.accountMemory.get(keys.account)]);
    if (pair !== null && pair.consumedPoints >= this.memoryShare(this.limits.pairAllowed)) {
      return { reason: 'pair', msLeft: pair.msBeforeNext };
    }
    if (account !== null && account.consumedPoints >= this.memoryShare(this.limits.accountAllowed)) {
      return { reason: 'account', msLeft: account.msBeforeNext };
    }
    return null;
  }

  /**
   * A limit's share for this process while it counts in memory: each of the N live processes allows
   * ⌊allowed / N⌋, so together they allow no more than the limit, as with the attempt limits (but at least
   * one each: with more processes than the limit, one per process).
   */
  private memoryShare(allowed: number): number {
    return Math.max(1, processShare(allowed, this.processes()));
  }

  private async admitInRedis(keys: LedgerKeys, id: string, knownBefore: boolean): Promise<LedgerRefusal | null> {
    const [outcome, msLeft] = await this.run('promoLoginAdmit', [
      ...[keys.pair, keys.account, keys.known, keys.pairHolds, keys.accountHolds],
      ...[this.limits.pairAllowed, this.limits.accountAllowed, knownBefore ? 1 : 0, HOLD_MS, this.now(), id],
    ]);
    const reason = REFUSALS[outcome as keyof typeof REFUSALS] as LedgerRefusal['reason'] | undefined;
    return reason === undefined ? null : { reason, msLeft: msLeft ?? 0 };
  }

  /**
   * Addresses remembered by the versions before this key layout (rate-limiter-flexible's, on another Cluster
   * slot), read only when the account-wide cap is reached, so that an owner's address stays open across the
   * upgrade. They expire within `knownAddressDays` of it; then this read can go.
   */
  private async knownBeforeThisLayout({ account, clientIp }: LoginAttempt): Promise<boolean> {
    // That layout folded the account to lower case.
    const key = `${this.keyPrefix}:rl:known:${account.trim().toLowerCase()}|${addressBucket(clientIp)}`;
    return withTimeout(this.redis.exists(key), this.timeoutMs, 'known address').then(
      (found) => found === 1,
      () => false,
    );
  }

  private keysOf({ account, clientIp }: LoginAttempt): LedgerKeys {
    const base = `${this.keyPrefix}:rl:{${tagSafe(accountKey(account))}}`;
    const address = addressBucket(clientIp);
    return {
      pair: `${base}:failures:${address}`,
      account: `${base}:failures`,
      known: `${base}:known:${address}`,
      pairHolds: `${base}:holds:${address}`,
      accountHolds: `${base}:holds`,
    };
  }

  private async run(name: LedgerScript, keysThenArgs: (string | number)[]): Promise<(number | undefined)[]> {
    return numbersFrom(name, await withTimeout(callScript(this.redis, name, keysThenArgs), this.timeoutMs, name));
  }
}

/** Escapes what would change a hash tag; never throws (encodeURIComponent does, on a lone surrogate). */
function tagSafe(account: string): string {
  return account.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The account as the user directory finds it: the exact name, trimmed as the edge trims it. Not folded to
 * one case: "Alice" and "alice" can be two accounts, and one's right password must not clear the other's
 * wrong ones (a re-spelled name is another account, which the guesses cannot open).
 */
export function accountKey(account: string): string {
  return account.trim();
}

interface LedgerKeys {
  pair: string;
  account: string;
  known: string;
  pairHolds: string;
  accountHolds: string;
}

/** The id a settlement gives back: none when the login held no place in Redis. */
function holdId(place: Place | undefined): string {
  return place?.in === 'redis' ? place.id : '';
}

/** A script's text, with each `-- #include <file>` line replaced by that file of the same folder. */
function source(file: string): string {
  const read = (name: string): string => readFileSync(join(__dirname, 'lua', 'login', name), 'utf8');
  return read(file).replace(/^-- #include ([\w.-]+\.lua)$/gm, (_, included: string) => read(included));
}
