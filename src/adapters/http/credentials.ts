import type { Credentials } from '../../application/identify-user.use-case';
import { AppError } from '../../errors';
import { accountSchema, passwordSchema } from './schemas';

const BEARER = /^Bearer ([A-Za-z0-9_.~+/=-]{1,4096})$/i;

/** The bearer token of an `Authorization: Bearer <JWT>` header, or null when there is none. */
export function bearerToken(header: string | undefined): string | null {
  return BEARER.exec(header ?? '')?.[1] ?? null;
}

/**
 * Credentials from the Authorization header: `Bearer <JWT>`, or `Basic base64(account:password)`.
 * Anything else is INVALID_CREDENTIALS.
 */
export function headerCredentials(header: string | undefined): Credentials {
  const token = bearerToken(header);
  if (token !== null) return { kind: 'token', token };
  const match = /^Basic ([A-Za-z0-9+/=]{1,1024})$/i.exec(header ?? '');
  const decoded = match?.[1] === undefined ? '' : Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const account = accountSchema.safeParse(decoded.slice(0, colon));
  const password = passwordSchema.safeParse(decoded.slice(colon + 1));
  if (colon < 0 || !account.success || !password.success) {
    throw new AppError(
      'INVALID_CREDENTIALS',
      'Send the account and password as HTTP Basic credentials, or a bearer token.',
    );
  }
  return { kind: 'password', account: account.data, password: password.data };
}
