export interface UserCredentials {
  userId: string;
  account: string;
  /** Self-describing hash string (algorithm and parameters included). */
  passwordHash: string;
}

/** Where accounts and their password hashes live. */
export interface UserDirectory {
  /** The user with this account (email, phone or username), or null. */
  findByAccount(account: string): Promise<UserCredentials | null>;

  /** The accounts of these users (unknown ids are left out). */
  accountsOf(userIds: readonly string[]): Promise<Map<string, string>>;

  /**
   * Create the accounts that do not exist yet and set the password hash of those that do. A user keeps
   * their userId forever. Returns how many were created.
   */
  upsertMany(users: readonly { account: string; passwordHash: string }[]): Promise<number>;

  /**
   * Replace a user's password hash, only while it is still `expectedHash` (a concurrent password change
   * wins). Returns whether it was replaced.
   */
  replacePasswordHash(userId: string, expectedHash: string, newHash: string): Promise<boolean>;

  /**
   * Up to `limit` stored password hashes of accounts chosen without regard to their activity (so nobody's
   * logins can steer the choice); their parameters matter, not whose they are.
   */
  samplePasswordHashes(limit: number): Promise<string[]>;
}
