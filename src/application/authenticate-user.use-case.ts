import { AppError } from '../errors';
import type { Logger } from '../ports/logger.port';
import type { LoginThrottle } from '../ports/login-throttle.port';
import type { PasswordHasher } from '../ports/password-hasher.port';
import type { UserCredentials, UserDirectory } from '../ports/user-directory.port';
import type { ConcurrencyGate } from './support/concurrency-gate';
import { HashCostSampler } from './support/hash-cost-sampler';

export interface AuthenticatedUser {
  userId: string;
  account: string;
}

/** Two bounds on password logins: how many may be in progress at all, how many may hash at once. */
export interface LoginGates {
  /** Password logins in progress (lookup and hash); beyond it a login is shed at once with SERVER_BUSY. */
  admission: ConcurrencyGate;
  /** Hash comparisons running at once (CPU on libuv's pool); the others wait their turn. */
  hashing: ConcurrencyGate;
}

/**
 * Checks an account and password: within the login limits first (before any password work), then the
 * lookup and the hash comparison, bounded by two gates: a flood is shed at the door instead of queueing
 * on the thread pool, while a slow database does not make logins wait on each other.
 *
 * An unknown account costs the same hash work as a wrong password, counts the same towards the back-offs
 * and gets the same error, so neither the answer nor its timing reveals which accounts exist:
 * - an unknown account is checked against a dummy hash at a cost drawn from the stored hashes;
 * - a check against a hash made at another cost than the current one is followed by a hash at the
 *   current cost, whether the password is right or wrong and whether the account exists: on success it
 *   replaces the stored one (the migration after a cost raise), otherwise it is thrown away. So the time
 *   depends on the stored cost only, never on the outcome.
 */
export class AuthenticateUser {
  private readonly costs: HashCostSampler;

  constructor(
    private readonly users: UserDirectory,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly gates: LoginGates,
    private readonly logger: Logger,
  ) {
    this.costs = new HashCostSampler(users, hasher);
  }

  async execute(account: string, password: string, clientIp: string): Promise<AuthenticatedUser> {
    const attempt = { account, clientIp };
    // Shed before counting: a login the server is too busy for costs the client none of its attempts.
    const busy = this.gates.hashing.refusalNow();
    if (busy !== null) throw busy;
    await this.throttle.admit(attempt);
    const { user, upgrade } = await this.gates.admission
      .run(async () => {
        const found = await this.users.findByAccount(account);
        const stored = found?.passwordHash ?? (await this.costs.dummyHashFor(account));
        return this.gates.hashing.run(async () => {
          const matches = await this.hasher.verify(password, stored);
          const upgrade = this.hasher.needsRehash(stored) ? await this.hasher.hash(password) : null;
          return { user: matches ? found : null, upgrade };
        });
      })
      .catch(async (error: unknown) => {
        // Not checked after all (busy, or a store did not answer): the attempt's held place is given back.
        await this.throttle.release(attempt);
        throw error;
      });
    if (user === null) {
      await this.throttle.recordFailure(attempt);
      throw new AppError('INVALID_CREDENTIALS');
    }
    await this.throttle.recordSuccess(attempt);
    if (upgrade !== null) this.storeUpgrade(user, upgrade);
    return { userId: user.userId, account: user.account };
  }

  /** Best effort, off the answer's path: if it fails, the next login upgrades again. */
  private storeUpgrade(user: UserCredentials, upgrade: string): void {
    this.users.replacePasswordHash(user.userId, user.passwordHash, upgrade).then(
      (replaced) => {
        if (replaced) this.logger.info({ userId: user.userId }, 'password rehashed at the current cost');
      },
      (error: unknown) => this.logger.warn({ err: error, userId: user.userId }, 'password rehash not stored'),
    );
  }
}
