import cluster from 'node:cluster';

import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';

/**
 * The yardstick of row 1: the least a Koa JSON POST costs on this machine (body parsed, JSON answered),
 * in as many processes as the API runs (BENCH_PROCESSES), on BENCH_PORT.
 */
const processes = Number(process.env.BENCH_PROCESSES ?? 1);
const port = Number(process.env.BENCH_PORT ?? 3900);

if (cluster.isPrimary && processes > 1) {
  for (let i = 0; i < processes; i += 1) cluster.fork();
  process.once('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
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
}
