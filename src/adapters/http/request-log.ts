import type { Middleware } from 'koa';

import type { Logger } from '../../ports/logger.port';
import { requestIdFrom, withRequestContext } from '../../request-context';
import type { Metrics } from './metrics';

const PROBES = new Set(['/health', '/ready', '/metrics']);

/** The route a request matched (its template, never the raw URL with its query), or "unmatched". */
export function routeOf(ctx: { _matchedRoute?: string | RegExp; path: string }): string {
  if (typeof ctx._matchedRoute === 'string') return ctx._matchedRoute;
  return ctx.path.startsWith('/admin/queues') ? '/admin/queues' : 'unmatched';
}

export interface RequestRecord {
  method: string;
  route: string;
  path: string;
  status: number;
  seconds: number;
  errorCode: string | undefined;
}

/** A request's metrics sample and, unless it is a probe, its log line. */
export function recordRequest(logger: Logger, metrics: Metrics, request: RequestRecord): void {
  const { method, route, status, seconds, errorCode } = request;
  metrics.observeRequest({ method, route, status, outcome: errorCode ?? 'ok' }, seconds);
  if (PROBES.has(request.path)) return;
  logger.info(
    errorCode === undefined
      ? { method, route, status, ms: seconds * 1_000 }
      : { method, route, status, ms: seconds * 1_000, errorCode },
    'request',
  );
}

/**
 * One log line and one metrics sample per request: method, route, status, duration, errorCode. No
 * headers, no body, no query string: that is where credentials travel. Probes are measured, not logged.
 * Every request has an id, the client's X-Request-Id when acceptable (see request-context.ts) or a fresh
 * one, echoed back; every log line written while it is handled carries it, and so do the jobs it queues.
 */
export function observeRequests(logger: Logger, metrics: Metrics): Middleware {
  return (ctx, next) => {
    const requestId = requestIdFrom(ctx.get('x-request-id') || undefined);
    ctx.set('X-Request-Id', requestId);
    return withRequestContext({ requestId }, () => observe(ctx, next));
  };

  async function observe(ctx: Parameters<Middleware>[0], next: () => Promise<unknown>): Promise<void> {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const body = ctx.body as { errorCode?: unknown } | undefined;
      recordRequest(logger, metrics, {
        method: ctx.method,
        route: routeOf(ctx as never),
        path: ctx.path,
        status: ctx.status,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        errorCode:
          typeof body === 'object' && body !== null && typeof body.errorCode === 'string' ? body.errorCode : undefined,
      });
    }
  }
}
