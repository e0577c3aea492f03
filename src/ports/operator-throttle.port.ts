/** Limits guessing of the operators' credentials, per client address. */
export interface OperatorThrottle {
  /** Throws AppError RATE_LIMITED when this address got the operator credentials wrong too often lately. */
  admit(clientIp: string): Promise<void>;

  /** Wrong operator credentials from this address: towards its back-off. */
  recordFailure(clientIp: string): Promise<void>;
}

/** No limit: for tests of other things. */
export const unlimitedOperators: OperatorThrottle = { admit: async () => {}, recordFailure: async () => {} };
