/** Slow, salted password hashing. */
export interface PasswordHasher {
  /** Hash a password with the configured cost; the result names its algorithm and parameters. */
  hash(password: string): Promise<string>;

  /** Check a password against a stored hash, in time independent of where they differ. */
  verify(password: string, storedHash: string): Promise<boolean>;
}
