import { AppError } from '../errors';
import type { LoginThrottle } from '../ports/login-throttle.port';
import type { ConcurrencyGate } from './concurrency-gate';
import type { PasswordHasher } from '../ports/password-hasher.port';
import type { UserDirectory } from '../ports/user-directory.port';

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
 * error, so the answer does not reveal which accounts exist.
 */
export class AuthenticateUser {
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly users: UserDirectory,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly gates: LoginGates,
  ) {}

  async execute(account: string, password: string, clientIp: string): Promise<AuthenticatedUser> {
    await this.throttle.admit({ account, clientIp });
    const user = await this.gates.admission.run(async () => {
      const found = await this.users.findByAccount(account);
      const stored = found?.passwordHash ?? (await this.getDummyHash());
      const matches = await this.gates.hashing.run(() => this.hasher.verify(password, stored));
      return matches ? found : null;
    });
    if (user === null) {
      await this.throttle.recordFailure(account);
      throw new AppError('INVALID_CREDENTIALS');
    }
    await this.throttle.recordSuccess(account);
    return { userId: user.userId, account: user.account };
  }

  private getDummyHash(): Promise<string> {
    // Hashed once with the current cost, so the unknown-account path does the same work as a real check.
    this.dummyHash ??= this.hasher.hash('not-a-password-of-anyone');
    return this.dummyHash;
  }
}
