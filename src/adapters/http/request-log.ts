import type { Middleware } from 'koa';

import type { Logger } from '../../ports/logger.port';
import type { Metrics } from './metrics';

const PROBES = new Set(['/health', '/ready', '/metrics']);

/** The route a request matched (its template, never the raw URL with its query), or "unmatched". */
export function routeOf(ctx: { _matchedRoute?: string | RegExp; path: string }): string {
  if (typeof ctx._matchedRoute === 'string') return ctx._matchedRoute;
  return ctx.path.startsWith('/admin/queues') ? '/admin/queues' : 'unmatched';
}

/**
 * One log line and one metrics sample per request: method, route, status, duration, errorCode. No
 * headers, no body, no query string: that is where credentials travel. Probes are measured, not logged.
 */
export function observeRequests(logger: Logger, metrics: Metrics): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const body = ctx.body as { errorCode?: unknown } | undefined;
      const errorCode =
        typeof body === 'object' && body !== null && typeof body.errorCode === 'string' ? body.errorCode : undefined;
      const route = routeOf(ctx as never);
      metrics.observeRequest({ method: ctx.method, route, status: ctx.status, outcome: errorCode ?? 'ok' }, seconds);
      if (!PROBES.has(ctx.path)) {
        logger.info(
          {
            method: ctx.method,
            route,
            status: ctx.status,
            ms: seconds * 1_000,
            ...(errorCode === undefined ? {} : { errorCode }),
          },
          'request',
        );
      }
    }
  };
}
