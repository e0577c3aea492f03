import { createHash, timingSafeEqual } from 'node:crypto';

import type { Middleware } from 'koa';

import { AppError } from '../../errors';
import type { OperatorThrottle } from '../../ports/operator-throttle.port';

export interface AdminCredentials {
  username: string;
  password: string;
  /** Bearer token for automation; null when not configured. */
  token: string | null;
}

/** Constant-time equality of two strings of any length (compares their digests). */
function same(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** Who is calling, or null: HTTP basic with the operator's credentials, or the bearer admin token. */
export function adminActor(header: string | undefined, credentials: AdminCredentials): string | null {
  const [scheme, value = ''] = (header ?? '').split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer' && credentials.token !== null) {
    return same(value, credentials.token) ? 'token' : null;
  }
  if (scheme?.toLowerCase() !== 'basic' || value.length > 1_024) return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const username = decoded.slice(0, colon);
  // Both compared, always, so the time taken does not tell which one was wrong.
  const userOk = same(username, credentials.username);
  const passwordOk = same(decoded.slice(colon + 1), credentials.password);
  return userOk && passwordOk ? username : null;
}

/**
 * Guards everything under it (the admin API and Bull Board): 401 with a Basic challenge, so a browser asks
 * for credentials, unless the caller is the operator. Wrong credentials count towards a back-off of the
 * caller's address (a browser's first request, without credentials, does not). The actor's name is left
 * in ctx.state.actor.
 */
export function requireAdmin(credentials: AdminCredentials, throttle: OperatorThrottle): Middleware {
  return async (ctx, next) => {
    const header = ctx.get('authorization') || undefined;
    const clientIp = ctx.state.clientIp as string;
    if (header !== undefined) await throttle.admit(clientIp);
    const actor = adminActor(header, credentials);
    if (actor === null) {
      if (header !== undefined) await throttle.recordFailure(clientIp);
      ctx.set('WWW-Authenticate', 'Basic realm="promotion-admin", charset="UTF-8"');
      throw new AppError('ADMIN_UNAUTHORIZED');
    }
    ctx.state.actor = actor;
    await next();
  };
}
