import type { Credentials } from '../../application/identify-user.use-case';
import { AppError } from '../../errors';
import { accountSchema, passwordSchema } from './schemas';

const BEARER_SCHEME = /^Bearer\s/i;
const TOKEN = /^[A-Za-z0-9_.~+/=-]{1,4096}$/;

/**
 * The bearer token of an `Authorization: Bearer <JWT>` header, or null when the header names another
 * scheme (or none). A Bearer header whose token is too long or malformed is INVALID_TOKEN: the caller
 * meant a token, so an answer about accounts and passwords would mislead.
 */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined || !BEARER_SCHEME.test(header)) return null;
  const token = header.slice('Bearer '.length).trim();
  if (!TOKEN.test(token)) throw new AppError('INVALID_TOKEN', 'The bearer token is malformed or too long.');
  return token;
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
