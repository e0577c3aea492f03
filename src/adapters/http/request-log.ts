import type { Middleware } from 'koa';

import type { Logger } from '../../ports/logger.port';

const QUIET = new Set(['/health', '/ready', '/metrics']);

/** The route a request matched (its template, never the raw URL with its query), or "unmatched". */
export function routeOf(ctx: { _matchedRoute?: string | RegExp; path: string }): string {
  if (typeof ctx._matchedRoute === 'string') return ctx._matchedRoute;
  return ctx.path.startsWith('/admin/queues') ? '/admin/queues' : 'unmatched';
}

/**
 * One log line per request: method, route, status, duration, errorCode. No headers, no body, no query
 * string: that is where credentials travel. Probes are left out.
 */
export function requestLog(logger: Logger): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      if (!QUIET.has(ctx.path)) {
        const body = ctx.body as { errorCode?: unknown } | undefined;
        const errorCode =
          typeof body === 'object' && body !== null && typeof body.errorCode === 'string' ? body.errorCode : undefined;
        logger.info(
          {
            method: ctx.method,
            route: routeOf(ctx as never),
            status: ctx.status,
            ms: Number(process.hrtime.bigint() - started) / 1e6,
            ...(errorCode === undefined ? {} : { errorCode }),
          },
          'request',
        );
      }
    }
  };
}
