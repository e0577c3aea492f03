import type Router from '@koa/router';

import { withTimeout } from '../../../application/dependency-call';

/** A dependency the API needs to decide claims, and how to ask whether it answers. */
export interface DependencyCheck {
  name: string;
  ping(): Promise<unknown>;
}

/**
 * GET /health: the process is alive (for restarts). GET /ready: Redis and MongoDB both answer within
 * `timeoutMs` (for load balancers), else 503 naming the ones that did not.
 */
export function healthRoutes(
  router: Router,
  checks: readonly DependencyCheck[],
  timeoutMs: number,
  retryAfterSeconds: number,
): void {
  router.get('/health', (ctx) => {
    ctx.body = { status: true };
  });

  router.get('/ready', async (ctx) => {
    const results = await Promise.all(
      checks.map(async ({ name, ping }) => {
        try {
          await withTimeout(ping(), timeoutMs, `${name} ping`);
          return [name, 'up'] as const;
        } catch {
          return [name, 'down'] as const;
        }
      }),
    );
    const dependencies = Object.fromEntries(results);
    const ready = results.every(([, state]) => state === 'up');
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
