/** Limits login attempts, per client address and per account, before any password work is done. */
export interface LoginThrottle {
  /**
   * Counts an attempt. Throws AppError RATE_LIMITED (details.retryAfterSeconds) when the client or the
   * account is over its limit, or the account is in a back-off after repeated wrong passwords.
   */
  admit(attempt: { account: string; clientIp: string }): Promise<void>;

  /**
   * Counts a token login against the per-address limit and a per-user limit of the token's user (the
   * per-account budget, kept apart from password accounts). No back-off lookup: a token carries no
   * password to get wrong.
   */
  admitToken(attempt: { userId: string; clientIp: string }): Promise<void>;

  /** A wrong password (or an unknown account: the same answer, the same count): towards the back-off. */
  recordFailure(account: string): Promise<void>;

  /** The right password: the account's failures are forgotten. */
  recordSuccess(account: string): Promise<void>;
}

/** No limits: for the use cases' unit tests and the scripts. */
export const unlimitedLogins: LoginThrottle = {
  admit: async () => {},
  admitToken: async () => {},
  recordFailure: async () => {},
  recordSuccess: async () => {},
};
