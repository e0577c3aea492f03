/** One password attempt: which account, from which client address. */
export interface LoginAttempt {
  account: string;
  clientIp: string;
}

/**
 * Limits login attempts before any password work is done. Guessing is throttled per account and address,
 * so an attacker who names an account cannot lock its owner out from the owner's own address.
 */
export interface LoginThrottle {
  /**
   * Counts an attempt. Throws AppError RATE_LIMITED (details.retryAfterSeconds) when the client address is
   * over its limit, the account is over its limit from this address, this address is in a back-off for
   * this account after repeated wrong passwords, or the account as a whole has had too many wrong passwords
   * and this is not an address it logged in from before. An admitted attempt holds a place among the wrong
   * passwords until it is settled (recordFailure, recordSuccess or release, each given the same attempt
   * object: one object per login), so attempts checked at once cannot together pass those limits: past
   * them, an attempt is refused until the others settle.
   */
  admit(attempt: LoginAttempt): Promise<void>;

  /**
   * Counts a token login against the per-address limit and a per-user limit of the token's user (the
   * per-account budget, kept apart from password accounts). No back-off lookup: a token carries no
   * password to get wrong.
   */
  admitToken(attempt: { userId: string; clientIp: string }): Promise<void>;

  /**
   * admitToken without waiting, when every limit it counts is decided in this process: true once counted
   * (throws the same RATE_LIMITED admitToken would); false, having counted nothing, when a limit needs the
   * shared store (then call admitToken).
   */
  admitTokenAtOnce(attempt: { userId: string; clientIp: string }): boolean;

  /**
   * A wrong password (or an unknown account: the same answer, the same count): towards the back-offs.
   * Best effort: never rejects (a store that does not answer in time loses the count, not the answer).
   */
  recordFailure(attempt: LoginAttempt): Promise<void>;

  /**
   * The right password: this address's failures for the account are forgotten and the address is known.
   * Best effort: never rejects, so a login that succeeded is never failed by its bookkeeping.
   */
  recordSuccess(attempt: LoginAttempt): Promise<void>;

  /**
   * An admitted attempt whose password was not checked after all (the server too busy, a store not
   * answering): its held place is given back, nothing counted. Best effort: never rejects.
   */
  release(attempt: LoginAttempt): Promise<void>;
}

/** No limits: for the use cases' unit tests and the scripts. */
export const unlimitedLogins: LoginThrottle = {
  admit: async () => {},
  admitToken: async () => {},
  admitTokenAtOnce: () => true,
  recordFailure: async () => {},
  recordSuccess: async () => {},
  release: async () => {},
};
