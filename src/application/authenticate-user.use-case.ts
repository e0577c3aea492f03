import { AppError } from '../errors';
import type { LoginThrottle } from '../ports/login-throttle.port';
import type { ConcurrencyGate } from './concurrency-gate';
import type { PasswordHasher } from '../ports/password-hasher.port';
import type { UserDirectory } from '../ports/user-directory.port';

export interface AuthenticatedUser {
  userId: string;
  account: string;
}

/**
 * Checks an account and password: through a concurrency gate (a flood is shed at the door), then within
 * the login limits (before any password work). An unknown account costs the same hash work as a wrong
 * password, counts the same towards the back-off and gets the same error, so the answer does not reveal
 * which accounts exist.
 */
export class AuthenticateUser {
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly users: UserDirectory,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly gate: ConcurrencyGate,
  ) {}

  execute(account: string, password: string, clientIp: string): Promise<AuthenticatedUser> {
    return this.gate.run(() => this.check(account, password, clientIp));
  }

  private async check(account: string, password: string, clientIp: string): Promise<AuthenticatedUser> {
    await this.throttle.admit({ account, clientIp });
    const user = await this.users.findByAccount(account);
    const matches = await this.hasher.verify(password, user?.passwordHash ?? (await this.getDummyHash()));
    if (user === null || !matches) {
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
