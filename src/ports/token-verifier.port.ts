/** Verifies identity tokens issued by the app's login service (JWT); `sub` is our userId. */
export interface TokenVerifier {
  /**
   * The user the token names, once its signature, expiry, issuer and audience check out; throws AppError
   * INVALID_TOKEN otherwise (or when token login is not configured).
   */
  verify(token: string): Promise<{ userId: string }>;
}
