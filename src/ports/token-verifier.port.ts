/** Verifies identity tokens issued by the app's login service (JWT); `sub` is our userId. */
export interface TokenVerifier {
  /**
   * The user the token names, once its signature, expiry, issuer and audience check out; throws AppError
   * INVALID_TOKEN otherwise (or when token login is not configured).
   */
  verify(token: string): Promise<{ userId: string }>;

  /**
   * The same check without waiting, when the key is at hand (a shared secret): the user, or the same
   * AppError verify would throw. Undefined when the check has to wait (a key fetched from a JWKS URL, a
   * public-key verification that is asynchronous): then call verify.
   */
  verifyAtOnce(token: string): { userId: string } | undefined;
}
