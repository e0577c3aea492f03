import { AppError } from '../errors';
import type { PasswordHasher } from '../ports/password-hasher.port';
import type { UserDirectory } from '../ports/user-directory.port';

export interface AuthenticatedUser {
  userId: string;
  account: string;
}

/**
 * Checks an account and password. An unknown account costs the same hash work as a wrong password and
 * gets the same error, so the answer does not reveal which accounts exist.
 */
export class AuthenticateUser {
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly users: UserDirectory,
    private readonly hasher: PasswordHasher,
  ) {}

  async execute(account: string, password: string): Promise<AuthenticatedUser> {
    const user = await this.users.findByAccount(account);
    if (user === null) {
      await this.hasher.verify(password, await this.getDummyHash());
      throw new AppError('INVALID_CREDENTIALS');
    }
    if (!(await this.hasher.verify(password, user.passwordHash))) throw new AppError('INVALID_CREDENTIALS');
    return { userId: user.userId, account: user.account };
  }

  private getDummyHash(): Promise<string> {
    // Hashed once with the current cost, so the unknown-account path does the same work as a real check.
    this.dummyHash ??= this.hasher.hash('not-a-password-of-anyone');
    return this.dummyHash;
  }
}
