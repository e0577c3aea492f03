import type { PasswordHasher } from '../ports/password-hasher.port';
import type { UserDirectory } from '../ports/user-directory.port';

export interface RegisterUsersOptions {
  batchSize?: number;
  /** Called after each batch with how many accounts are done. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Creates accounts, or resets the password of existing ones (their userId never changes). Hashing runs a
 * batch at a time on the thread pool; each account gets its own salt.
 */
export class RegisterUsers {
  constructor(
    private readonly users: UserDirectory,
    private readonly hasher: PasswordHasher,
  ) {}

  async execute(
    accounts: readonly { account: string; password: string }[],
    options: RegisterUsersOptions = {},
  ): Promise<number> {
    const batchSize = options.batchSize ?? 200;
    let created = 0;
    for (let start = 0; start < accounts.length; start += batchSize) {
      const batch = accounts.slice(start, start + batchSize);
      const hashed = await Promise.all(
        batch.map(async ({ account, password }) => ({ account, passwordHash: await this.hasher.hash(password) })),
      );
      created += await this.users.upsertMany(hashed);
      options.onProgress?.(start + batch.length, accounts.length);
    }
    return created;
  }
}
