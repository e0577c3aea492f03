import { AppError } from '../errors';
import type { Logger } from '../ports/logger.port';
import type { LoginThrottle } from '../ports/login-throttle.port';
import type { PasswordHasher } from '../ports/password-hasher.port';
import type { UserCredentials, UserDirectory } from '../ports/user-directory.port';
import type { ConcurrencyGate } from './concurrency-gate';
import { HashCostSampler } from './hash-cost-sampler';

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
 * on the thread pool, while a slow database does not make logins wait on each other. An unknown account
 * costs the same hash work as a wrong password, counts the same towards the back-off and gets the same
 * error, so the answer does not reveal which accounts exist. A right password whose hash was made at an
 * older cost is hashed again at the current one, after the answer, when a hashing slot is free.
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
    await this.throttle.admit(attempt);
    const user = await this.gates.admission.run(async () => {
      const found = await this.users.findByAccount(account);
      const stored = found === null ? await this.costs.dummyHash() : this.costs.seen(found.passwordHash);
      const matches = await this.gates.hashing.run(() => this.hasher.verify(password, stored));
      return matches ? found : null;
    });
    if (user === null) {
      await this.throttle.recordFailure(attempt);
      throw new AppError('INVALID_CREDENTIALS');
    }
    await this.throttle.recordSuccess(attempt);
    if (this.hasher.needsRehash(user.passwordHash)) this.rehash(user, password);
    return { userId: user.userId, account: user.account };
  }

  /** Best effort, off the answer's path: a busy moment skips it, and the next login tries again. */
  private rehash(user: UserCredentials, password: string): void {
    const done = this.gates.hashing.tryRun(async () => {
      const fresh = await this.hasher.hash(password);
      return this.users.replacePasswordHash(user.userId, user.passwordHash, fresh);
    });
    done?.then(
      (replaced) => {
        if (replaced) this.logger.info({ userId: user.userId }, 'password rehashed at the current cost');
      },
      (error: unknown) => this.logger.warn({ err: error, userId: user.userId }, 'password rehash failed'),
    );
  }
}
