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
}
