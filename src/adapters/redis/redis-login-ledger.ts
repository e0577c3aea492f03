import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { RateLimiterMemory } from 'rate-limiter-flexible';

import { withTimeout } from '../../application/support/dependency-call';
import { addressBucket } from '../ip-address';
import type { LoginAttempt } from '../../ports/login-throttle.port';
import type { RedisClient } from './scripts';

/** A count of wrong passwords and how long until its back-off window ends. */
export interface Counted {
  count: number;
  msLeft: number;
}

/** What admitting a password login must know of its account and address. */
export interface Standing {
  /** Wrong passwords for this account from this address. */
  pair: Counted;
  /** Wrong passwords for this account from every address. */
  account: Counted;
  /** The account logged in from this address within the remembered days. */
  known: boolean;
}

export interface LedgerLimits {
  /** The pair's count, and the account's, each last this long from their first wrong password. */
  backoffSeconds: number;
  /** Where the memory fallback stops counting (the refusal threshold of each count). */
  pairAllowed: number;
  accountAllowed: number;
  knownAddressDays: number;
}

const SCRIPTS = {
  promoLoginStanding: { file: 'standing.lua', keys: 3 },
  promoLoginFailed: { file: 'failed.lua', keys: 2 },
  promoLoginSucceeded: { file: 'succeeded.lua', keys: 2 },
} as const;
type LedgerScript = keyof typeof SCRIPTS;

const DAY_SECONDS = 86_400;

/**
 * The wrong passwords and known addresses of password logins, in Redis, shared by every process: one
 * script call per step of a login (its standing before the password check, then its failure or success),
 * where rate-limiter-flexible made two to four. An account's keys carry it as a hash tag, so each script's
 * keys share a Redis Cluster slot:
 *   <prefix>:rl:{<account>}:failures            the account's wrong passwords from every address
 *   <prefix>:rl:{<account>}:failures:<address>  its wrong passwords from one address (an IPv6 /64)
 *   <prefix>:rl:{<account>}:known:<address>     it logged in from there within the remembered days
 * In the keys the account's "%", "{" and "}" are written %25, %7B and %7D: no brace of its own can end or
 * start a tag, and no two accounts share one.
 *
 * When Redis does not answer within `timeoutMs`, the counts are kept in this process's memory for as long as
 * it does not, rather than not at all; the known addresses are not (a memory fallback cannot time a month),
 * so meanwhile every address counts as unknown, which matters only once the account-wide cap is reached.
 */
export class RedisLoginLedger {
  private readonly pairMemory: RateLimiterMemory;
  private readonly accountMemory: RateLimiterMemory;

  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    private readonly limits: LedgerLimits,
    private readonly timeoutMs: number,
  ) {
    for (const [name, { file, keys }] of Object.entries(SCRIPTS)) {
      if (typeof (redis as unknown as Record<string, unknown>)[name] === 'function') continue;
      redis.defineCommand(name, {
        numberOfKeys: keys,
        lua: readFileSync(join(__dirname, 'lua', 'login', file), 'utf8'),
      });
    }
    const { backoffSeconds: duration } = limits;
    this.pairMemory = new RateLimiterMemory({ points: limits.pairAllowed, duration, blockDuration: duration });
    this.accountMemory = new RateLimiterMemory({ points: limits.accountAllowed, duration, blockDuration: duration });
  }

  async standing(attempt: LoginAttempt): Promise<Standing> {
    const keys = this.keysOf(attempt);
    try {
      const [pair, pairMs, account, accountMs, known] = await this.run('promoLoginStanding', [
        keys.pair,
        keys.account,
        keys.known,
      ]);
      const capped = (account ?? 0) >= this.limits.accountAllowed;
      return {
        pair: { count: pair ?? 0, msLeft: pairMs ?? 0 },
        account: { count: account ?? 0, msLeft: accountMs ?? 0 },
        known: known === 1 || (capped && (await this.knownBeforeThisLayout(attempt))),
      };
    } catch {
      const [pair, account] = await Promise.all([this.pairMemory.get(keys.pair), this.accountMemory.get(keys.account)]);
      return {
        pair: { count: pair?.consumedPoints ?? 0, msLeft: pair?.msBeforeNext ?? 0 },
        account: { count: account?.consumedPoints ?? 0, msLeft: account?.msBeforeNext ?? 0 },
        known: false,
      };
    }
  }

  /** Best effort: never rejects. */
  async recordFailure(attempt: LoginAttempt): Promise<void> {
    const keys = this.keysOf(attempt);
    try {
      await this.run('promoLoginFailed', [keys.pair, keys.account, this.limits.backoffSeconds]);
    } catch {
      await Promise.allSettled([this.pairMemory.penalty(keys.pair, 1), this.accountMemory.penalty(keys.account, 1)]);
    }
  }

  /** Best effort: never rejects. */
  async recordSuccess(attempt: LoginAttempt): Promise<void> {
    const keys = this.keysOf(attempt);
    try {
      await this.run('promoLoginSucceeded', [keys.pair, keys.known, this.limits.knownAddressDays * DAY_SECONDS]);
    } catch {
      await this.pairMemory.delete(keys.pair).catch(() => false);
    }
  }

  /**
   * Addresses remembered by the versions before this key layout (rate-limiter-flexible's, on another Cluster
   * slot), read only when the account-wide cap is reached, so that an owner's address stays open across the
   * upgrade. They expire within `knownAddressDays` of it; then this read can go.
   */
  private async knownBeforeThisLayout({ account, clientIp }: LoginAttempt): Promise<boolean> {
    const key = `${this.keyPrefix}:rl:known:${accountKey(account)}|${addressBucket(clientIp)}`;
    return withTimeout(this.redis.exists(key), this.timeoutMs, 'known address').then(
      (found) => found === 1,
      () => false,
    );
  }

  private keysOf({ account, clientIp }: LoginAttempt): { pair: string; account: string; known: string } {
    const base = `${this.keyPrefix}:rl:{${tagSafe(accountKey(account))}}`;
    const address = addressBucket(clientIp);
    return { pair: `${base}:failures:${address}`, account: `${base}:failures`, known: `${base}:known:${address}` };
  }

  private async run(name: LedgerScript, keysThenArgs: (string | number)[]): Promise<(number | undefined)[]> {
    const call = (this.redis as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>)[name];
    if (call === undefined) throw new Error(`script ${name} is not defined on this connection`);
    const reply = await withTimeout(call.call(this.redis, ...keysThenArgs), this.timeoutMs, name);
    if (!Array.isArray(reply) || reply.some((value) => typeof value !== 'number')) {
      throw new Error(`script ${name} answered ${JSON.stringify(reply)}`);
    }
    return reply as number[];
  }
}

/** Escapes what would change a hash tag; never throws (encodeURIComponent does, on a lone surrogate). */
function tagSafe(account: string): string {
  return account.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Accounts are compared case-insensitively here, so "Alice" and "alice" share one budget. */
export function accountKey(account: string): string {
  return account.trim().toLowerCase();
}
