import { createHmac } from 'node:crypto';

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/**
 * A compact HS256 JWT for `sub`, expiring at `exp` (seconds since the epoch), signed with node:crypto:
 * what the login service would issue, for the benchmark's hundreds of thousands of users and the fault
 * rigs' token logins (jose takes minutes for 300,000).
 */
export function hs256Token(sub: string, exp: number, secret: string): string {
  const unsigned = `${HEADER}.${Buffer.from(JSON.stringify({ sub, exp })).toString('base64url')}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}
