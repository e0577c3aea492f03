import type Router from '@koa/router';

import { checkDependencies, type DependencyCheck } from '../../ops/dependency-checks';

/**
 * GET /health: the process is alive (for restarts). GET /ready: Redis and MongoDB both answer within
 * `timeoutMs` and the process is not shutting down (for load balancers), else 503 naming what is not up.
 */
export function healthRoutes(
  router: Router,
  checks: readonly DependencyCheck[],
  timeoutMs: number,
  retryAfterSeconds: number,
  isShuttingDown: () => boolean,
): void {
  router.get('/health', (ctx) => {
    ctx.body = { status: true };
  });

  router.get('/ready', async (ctx) => {
    if (isShuttingDown()) {
      ctx.status = 503;
      ctx.set('Retry-After', String(retryAfterSeconds));
      ctx.body = {
        status: false,
        errorCode: 'SERVICE_UNAVAILABLE',
        errorMessage: 'The process is shutting down.',
        dependencies: {},
      };
      return;
    }
    const { ready, dependencies } = await checkDependencies(checks, timeoutMs);
    ctx.status = ready ? 200 : 503;
    if (!ready) ctx.set('Retry-After', String(retryAfterSeconds));
    ctx.body = ready
      ? { status: true, dependencies }
      : {
          status: false,
          errorCode: 'SERVICE_UNAVAILABLE',
          errorMessage: 'A dependency does not answer.',
          dependencies,
        };
  });
}
