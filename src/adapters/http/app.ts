import Router from '@koa/router';
import Koa from 'koa';

import type { AuthenticateUser } from '../../application/authenticate-user.use-case';
import type { ListVouchers } from '../../application/list-vouchers.use-case';
import type { LoginToCampaign } from '../../application/login-to-campaign.use-case';
import type { Logger } from '../../ports/logger.port';
import { errorHandler } from './error-body';
import { jsonBody } from './json-body';
import { loginRoute } from './routes/login.route';
import { vouchersRoute } from './routes/vouchers.route';

export interface HttpDeps {
  login: LoginToCampaign;
  authenticate: AuthenticateUser;
  listVouchers: ListVouchers;
  logger: Logger;
  bodyLimitBytes: number;
  retryAfterSeconds: number;
}

/** Builds the Koa app without listening: the server entry calls listen, tests use app.callback(). */
export function createHttpApp(deps: HttpDeps): Koa {
  const app = new Koa();
  app.silent = true; // errors are logged by errorHandler, once, structured
  const router = new Router();
  loginRoute(router, deps.login, deps.retryAfterSeconds);
  vouchersRoute(router, deps.authenticate, deps.listVouchers);

  app.use(errorHandler(deps.logger, deps.retryAfterSeconds));
  app.use(jsonBody(deps.bodyLimitBytes));
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  return app;
}
