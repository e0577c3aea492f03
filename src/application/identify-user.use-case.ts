import type { LoginThrottle } from '../ports/login-throttle.port';
import type { TokenVerifier } from '../ports/token-verifier.port';
import type { AuthenticateUser } from './authenticate-user.use-case';

/** How a caller proves who they are: the seed's account and password, or a token from the login service. */
export type Credentials = { kind: 'password'; account: string; password: string } | { kind: 'token'; token: string };

/**
 * Resolves credentials to our userId. A token's `sub` is the same userId the password path yields, so one
 * person is one user whichever way they come in (and can win a campaign once). Tokens count against the
 * same per-address and per-user limits; they skip the password work, which is what makes a 100,000-user
 * burst affordable.
 */
export class IdentifyUser {
  constructor(
    private readonly authenticate: AuthenticateUser,
    private readonly tokens: TokenVerifier,
    private readonly throttle: LoginThrottle,
  ) {}

  async execute(credentials: Credentials, clientIp: string): Promise<{ userId: string }> {
    if (credentials.kind === 'password') {
      return this.authenticate.execute(credentials.account, credentials.password, clientIp);
    }
    const { userId } = await this.tokens.verify(credentials.token);
    await this.throttle.admitToken({ userId, clientIp });
    return { userId };
  }

  /** A token's user, when it can be verified without waiting (TokenVerifier.verifyAtOnce); throws like execute. */
  verifyTokenAtOnce(token: string): { userId: string } | undefined {
    return this.tokens.verifyAtOnce(token);
  }

  /** A token login counted without waiting, when it can be (LoginThrottle.admitTokenAtOnce); throws like execute. */
  admitTokenAtOnce(userId: string, clientIp: string): boolean {
    return this.throttle.admitTokenAtOnce({ userId, clientIp });
  }
}
