import type { Middleware } from 'koa';

import { AppError } from '../../errors';
import { hasBody, isPlainJson, jsonBody } from './json-body';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses a state-changing admin request that a browser sent on behalf of another site (cross-site
 * request forgery with the operator's cached Basic credentials): a Sec-Fetch-Site other than same-origin
 * or none, or an Origin whose host is neither the Host header's (as the browser sent it, never a proxy's
 * X-Forwarded-Host, which a client can write) nor one of `allowedOrigins`. Tools such as curl send
 * neither header and are unaffected.
 */
export function refuseCrossSiteWrites(allowedOrigins: readonly string[] = []): Middleware {
  const allowed = new Set(allowedOrigins.map((origin) => hostOf(origin)));
  return async (ctx, next) => {
    if (!SAFE_METHODS.has(ctx.method)) {
      const site = ctx.get('sec-fetch-site');
      if (site !== '' && site !== 'same-origin' && site !== 'none') throw new AppError('CROSS_SITE_REQUEST');
      const origin = ctx.get('origin');
      if (origin !== '') {
        const host = hostOf(origin);
        if (host === null || (host !== ctx.get('host').toLowerCase() && !allowed.has(host))) {
          throw new AppError('CROSS_SITE_REQUEST');
        }
      }
    }
    await next();
  };
}

/**
 * Every admin API write is JSON, even without a body: an HTML form or a "simple" cross-site request cannot
 * send Content-Type application/json, so this closes the cross-site route for browsers without Sec-Fetch-*.
 */
export function requireJsonWrites(): Middleware {
  return async (ctx, next) => {
    if (!SAFE_METHODS.has(ctx.method) && ctx.request.type !== 'application/json') {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE');
    }
    await next();
  };
}

/**
 * For Bull Board, whose own page sends bodiless PUTs: a body, when there is one, must be JSON, and it is
 * read here, by our parser, within the limit, whether or not a Content-Length announces it (a chunked one
 * does not). The board's own parser then finds the body parsed and reads nothing; it alone would take up
 * to 1 MB.
 */
export function boundBoardBodies(limitBytes: number): Middleware {
  const parse = jsonBody(limitBytes);
  return async (ctx, next) => {
    if (hasBody(ctx) && !SAFE_METHODS.has(ctx.method)) {
      if (!isPlainJson(ctx)) throw new AppError('UNSUPPORTED_MEDIA_TYPE');
      if (Number(ctx.get('content-length') || '0') > limitBytes) throw new AppError('PAYLOAD_TOO_LARGE');
      await parse(ctx, next);
      return;
    }
    await next();
  };
}

/**
 * Bull Board in read-only mode: every write is refused here, in our error body. The board itself hides
 * and refuses its per-queue and per-job actions, but answers "pause all" and "resume all" 200 while doing
 * nothing.
 */
export function refuseBoardWrites(): Middleware {
  return async (ctx, next) => {
    if (!SAFE_METHODS.has(ctx.method)) {
      throw new AppError('METHOD_NOT_ALLOWED', 'The queue dashboard is read-only (BULL_BOARD_READ_ONLY).');
    }
    await next();
  };
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return null; // "null" (sandboxed pages, some redirects) or garbage: never ours
  }
}
