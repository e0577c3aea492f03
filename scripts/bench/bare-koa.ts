import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';

import { inProcesses } from './in-processes';

/**
 * The yardstick of row 1: the least a Koa JSON POST costs on this machine (body parsed, JSON answered),
 * in as many processes as the API runs (BENCH_PROCESSES), on BENCH_PORT.
 */
const port = Number(process.env.BENCH_PORT ?? 3900);

inProcesses(() => {
  const app = new Koa();
  const router = new Router();
  router.post('/api/login-campaign', (ctx) => {
    ctx.body = {
      status: false,
      errorCode: 'CAMPAIGN_FULL',
      errorMessage: null,
      received: Object.keys(ctx.request.body as object).length,
    };
  });
  app.use(bodyParser({ enableTypes: ['json'] }));
  app.use(router.routes());
  app.listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
});
