import { AppError } from '../../errors';
import { accountSchema, passwordSchema } from './schemas';

/** Reads `Authorization: Basic base64(account:password)`; anything else is INVALID_CREDENTIALS. */
export function basicCredentials(header: string | undefined): { account: string; password: string } {
  const match = /^Basic ([A-Za-z0-9+/=]{1,1024})$/i.exec(header ?? '');
  const decoded = match?.[1] === undefined ? '' : Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const account = accountSchema.safeParse(decoded.slice(0, colon));
  const password = passwordSchema.safeParse(decoded.slice(colon + 1));
  if (colon < 0 || !account.success || !password.success) {
    throw new AppError('INVALID_CREDENTIALS', 'Send the account and password as HTTP Basic credentials.');
  }
  return { account: account.data, password: password.data };
}
