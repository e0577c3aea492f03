import Router from '@koa/router';
import type { Queue } from 'bullmq';
import Koa from 'koa';

import type { IdentifyUser } from '../../application/identify-user.use-case';
import type { ListVouchers } from '../../application/list-vouchers.use-case';
import type { LoginToCampaign } from '../../application/login-to-campaign.use-case';
import type { Logger } from '../../ports/logger.port';
import { requireAdmin, type AdminCredentials } from './admin-auth';
import { securityHeaders } from './security-headers';
import { bullBoard } from './bull-board';
import { errorHandler } from './error-body';
import { jsonBody } from './json-body';
import { openApiDocument } from './openapi';
import type { Metrics } from './metrics';
import { observeRequests } from './request-log';
import { adminCampaignRoutes, type AdminCampaignDeps } from './routes/admin-campaigns.route';
import { healthRoutes, type DependencyCheck } from './routes/health.route';
import { loginRoute } from './routes/login.route';
import { vouchersRoute } from './routes/vouchers.route';

export interface HttpDeps {
  login: LoginToCampaign;
  identify: IdentifyUser;
  listVouchers: ListVouchers;
  admin: AdminCampaignDeps & { credentials: AdminCredentials; queues: readonly Queue[]; boardReadOnly: boolean };
  checks: readonly DependencyCheck[];
  trustProxy: boolean;
  metrics: Metrics;
  /** True once SIGTERM arrived: /ready answers 503 and every connection closes after its answer. */
  isShuttingDown: () => boolean;
  logger: Logger;
  bodyLimitBytes: number;
  retryAfterSeconds: number;
  readyTimeoutMs: number;
}

/** Builds the Koa app without listening: the server entry calls listen, tests use app.callback(). */
export function createHttpApp(deps: HttpDeps): Koa {
  const app = new Koa();
  app.silent = true; // errors are logged by errorHandler, once, structured
  app.proxy = deps.trustProxy; // X-Forwarded-For decides ctx.ip only behind a trusted proxy

  const publicRoutes = new Router();
  loginRoute(publicRoutes, deps.login, deps.retryAfterSeconds, (results) => deps.metrics.observeClaims(results));
  vouchersRoute(publicRoutes, deps.identify, deps.listVouchers);
  healthRoutes(publicRoutes, deps.checks, deps.readyTimeoutMs, deps.retryAfterSeconds, deps.isShuttingDown);
  const document = openApiDocument();
  publicRoutes.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  publicRoutes.get('/metrics', async (ctx) => {
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });

  const adminRoutes = new Router();
  adminCampaignRoutes(adminRoutes, deps.admin);
  const guard = requireAdmin(deps.admin.credentials);
  const board = bullBoard(deps.admin.queues, deps.admin.boardReadOnly);

  app.use(observeRequests(deps.logger, deps.metrics));
  app.use(securityHeaders());
  app.use(async (ctx, next) => {
    if (deps.isShuttingDown()) ctx.set('Connection', 'close');
    await next();
  });
  app.use(errorHandler(deps.logger, deps.retryAfterSeconds));
  // Everything under /admin needs the operator, before any body is read.
  app.use(async (ctx, next) => (ctx.path === '/admin' || ctx.path.startsWith('/admin/') ? guard(ctx, next) : next()));
  app.use(board); // mounted at /admin/queues; passes anything else on
  app.use(jsonBody(deps.bodyLimitBytes));
  app.use(publicRoutes.routes());
  app.use(publicRoutes.allowedMethods({ throw: true }));
  app.use(adminRoutes.routes());
  app.use(adminRoutes.allowedMethods({ throw: true }));
  return app;
}
