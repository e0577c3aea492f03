/** Slow, salted password hashing. */
export interface PasswordHasher {
  /**
   * Hash a password with the configured cost, or with the cost named by `parameters` (as returned by
   * parametersOf); the result names its algorithm and parameters.
   */
  hash(password: string, parameters?: string): Promise<string>;

  /** Check a password against a stored hash, in time independent of where they differ. */
  verify(password: string, storedHash: string): Promise<boolean>;

  /** The algorithm and cost a stored hash was made with, as an opaque string; null when unreadable. */
  parametersOf(storedHash: string): string | null;

  /** True when the stored hash was made with other parameters than the configured ones. */
  needsRehash(storedHash: string): boolean;
}
