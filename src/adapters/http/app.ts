import Router from '@koa/router';
import type { Queue } from 'bullmq';
import Koa from 'koa';
import compose from 'koa-compose';
import mount from 'koa-mount';

import type { IdentifyUser } from '../../application/identify-user.use-case';
import type { ListVouchers } from '../../application/list-vouchers.use-case';
import type { LoginToCampaign } from '../../application/login-to-campaign.use-case';
import { AppError } from '../../errors';
import type { Logger } from '../../ports/logger.port';
import type { OperatorThrottle } from '../../ports/operator-throttle.port';
import { requireAdmin, type AdminCredentials } from './admin-auth';
import { boundBoardBodies, refuseBoardWrites, refuseCrossSiteWrites, requireJsonWrites } from './admin-writes';
import { BULL_BOARD_PATH, bullBoard } from './bull-board';
import { resolveClientAddress, type ProxyTrust } from './client-address';
import { errorHandler } from './error-body';
import { jsonBody } from './json-body';
import type { Metrics } from './metrics';
import { openApiDocument } from './openapi';
import { observeRequests } from './request-log';
import { adminCampaignRoutes, type AdminCampaignDeps } from './routes/admin-campaigns.route';
import { docsRoutes } from './routes/docs.route';
import type { DependencyCheck } from '../ops/dependency-checks';
import { healthRoutes } from './routes/health.route';
import { loginRoute } from './routes/login.route';
import { vouchersRoute } from './routes/vouchers.route';
import { securityHeaders } from './security-headers';

export interface HttpDeps {
  login: LoginToCampaign;
  identify: IdentifyUser;
  listVouchers: ListVouchers;
  admin: AdminCampaignDeps & {
    credentials: AdminCredentials;
    throttle: OperatorThrottle;
    /** Origins besides the request's own Host allowed to send admin writes (a proxy that rewrites Host). */
    allowedOrigins: readonly string[];
    queues: readonly Queue[];
    boardReadOnly: boolean;
  };
  checks: readonly DependencyCheck[];
  proxy: ProxyTrust;
  metrics: Metrics;
  /** True once SIGTERM arrived: /ready answers 503 and every connection closes after its answer. */
  isShuttingDown: () => boolean;
  logger: Logger;
  /** Writes the one line per request (fixed fields only: it may skip the redaction pass). */
  requestLogger: Logger;
  bodyLimitBytes: number;
  /** Longest a login or voucher listing is held before it is answered 503 (the work goes on). */
  loginDeadlineMs: number;
  retryAfterSeconds: number;
  readyTimeoutMs: number;
}

/**
 * Paths match exactly as written: `/ADMIN/campaigns`, `/admin/campaigns/` and `/%61dmin/...` are other
 * paths, which no route answers.
 */
const ROUTING = { sensitive: true, strict: true } as const;

/**
 * 405 for a path one of this router's routes has, asked with another method. (@koa/router's own
 * allowedMethods reads every router's matches, so it would answer for the admin routes too.)
 */
function methodNotAllowed(router: Router): Koa.Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.status !== 404 || ctx.body !== undefined) return;
    const matched = router.match(ctx.path, ctx.method);
    if (!matched.route && matched.path.some((layer) => layer.methods.length > 0)) {
      throw new AppError('METHOD_NOT_ALLOWED');
    }
  };
}

/** Builds the Koa app without listening: the server entry calls listen, tests use Api.listener (the fast lane in front of it) or app.callback(). */
export function createHttpApp(deps: HttpDeps): Koa {
  const app = new Koa({ proxy: deps.proxy.trusted, maxIpsCount: deps.proxy.hops });
  app.silent = true; // errors are logged by errorHandler, once, structured

  const publicRoutes = new Router(ROUTING);
  publicRoutes.use(jsonBody(deps.bodyLimitBytes));
  const deadline = { ms: deps.loginDeadlineMs, logger: deps.logger };
  loginRoute(publicRoutes, deps.login, deps.retryAfterSeconds, deadline, (results) =>
    deps.metrics.observeClaims(results),
  );
  vouchersRoute(publicRoutes, deps.identify, deps.listVouchers, deadline);
  healthRoutes(publicRoutes, deps.checks, deps.readyTimeoutMs, deps.retryAfterSeconds, deps.isShuttingDown);
  const document = openApiDocument();
  publicRoutes.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  docsRoutes(publicRoutes);

  // The guard is the admin router's first middleware: it runs for every route this router matched, and
  // a path no admin route matches reaches no admin handler. Nothing is read from the body before it.
  const guard = requireAdmin(deps.admin.credentials, deps.admin.throttle);
  const crossSite = refuseCrossSiteWrites(deps.admin.allowedOrigins);
  const adminRoutes = new Router({ ...ROUTING, prefix: '/admin' });
  adminRoutes.use(guard, crossSite, requireJsonWrites(), jsonBody(deps.bodyLimitBytes));
  adminCampaignRoutes(adminRoutes, deps.admin);
  // Bull Board decides its routes inside koa-mount's prefix match (exact case); the guard sits inside it.
  const board = mount(
    BULL_BOARD_PATH,
    compose([
      guard,
      crossSite,
      ...(deps.admin.boardReadOnly ? [refuseBoardWrites()] : []),
      boundBoardBodies(deps.bodyLimitBytes),
      bullBoard(deps.admin.queues, deps.admin.boardReadOnly),
    ]),
  );

  app.use(observeRequests(deps.requestLogger, deps.metrics));
  app.use(securityHeaders());
  app.use(async (ctx, next) => {
    if (deps.isShuttingDown()) ctx.set('Connection', 'close');
    await next();
  });
  app.use(errorHandler(deps.logger, deps.retryAfterSeconds));
  app.use(resolveClientAddress(deps.proxy));
  app.use(board);
  app.use(methodNotAllowed(publicRoutes));
  app.use(publicRoutes.routes());
  // No such answer for the admin router: an anonymous OPTIONS or wrong method would map its routes.
  app.use(adminRoutes.routes());
  return app;
}
