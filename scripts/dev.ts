import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { z } from 'zod';

import { metricsListener } from '../src/adapters/ops/ops-listener';
import { createHttpServer, listen } from '../src/adapters/http/server';
import { composeApi } from '../src/compose/api';
import { loadConfig } from '../src/config';
import { createLogger, unredacted } from '../src/logger';
import { startWorkers } from '../workers/start-workers';
import { parseCli, progress, runCli } from './lib/cli';
import {
  PROJECT_ROOT,
  ferretdbBinary,
  mongoPoolWithin,
  startFerretDb,
  startRedisServer,
  type LocalService,
} from './lib/local-services';
import { DEMO_PASSWORD, seed } from './seed';

const HELP = `usage: npm run dev [-- --port 3000 --campaign demo --limit 100 --users 1000]

--port defaults to PORT, else 3000; Prometheus metrics are served on METRICS_PORT, else the next port.

Runs the whole service in one terminal: the API and a voucher worker. Without MONGO_URL / REDIS_URL it
starts its own redis-server and FerretDB (built on first use by scripts/install-ferretdb.sh) on free
local ports, and removes them on exit. It seeds a campaign and accounts user1..user<users> with the
password "${DEMO_PASSWORD}", and uses the cheap test password-hash profile unless PASSWORD_HASH_PROFILE
is set. Ctrl-C stops everything.`;

/** The FerretDB `npm run dev` starts: PostgreSQL connections (its default max_connections is 100). */
const DEV_FERRETDB_CONNECTIONS = 40;

const argsSchema = z.object({
  port: z.coerce
    .number()
    .int()
    .min(0)
    .max(65_535)
    .default(Number(process.env.PORT ?? 3000)),
  campaign: z.string().default('demo'),
  limit: z.coerce.number().int().min(1).default(100),
  users: z.coerce.number().int().min(0).max(100_000).default(1_000),
});

function postgresReachable(): boolean {
  return spawnSync('pg_isready', ['-h', '127.0.0.1', '-p', '5432', '-q']).status === 0;
}

function ensureFerretDb(): void {
  try {
    ferretdbBinary();
  } catch {
    console.log('FerretDB is not built yet: building it once (a few minutes on a fresh machine) ...');
    const built = spawnSync('bash', [join(PROJECT_ROOT, 'scripts', 'install-ferretdb.sh')], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('building FerretDB failed (see above); or set MONGO_URL to a MongoDB');
  }
}

runCli(async () => {
  const args = parseCli(
    process.argv.slice(2),
    { port: { type: 'string' }, campaign: { type: 'string' }, limit: { type: 'string' }, users: { type: 'string' } },
    argsSchema,
    HELP,
  );
  if (args === null) return;

  const services: LocalService[] = [];
  const env: Record<string, string | undefined> = { ...process.env };
  if (!env.REDIS_URL) {
    const redis = await startRedisServer({ appendOnly: true });
    services.push(redis);
    env.REDIS_URL = redis.url;
    console.log(`redis-server started: ${redis.url}`);
  }
  if (!env.MONGO_URL) {
    ensureFerretDb();
    const handler = postgresReachable() ? 'postgresql' : 'sqlite';
    const ferret = await startFerretDb({ handler, maxConnections: DEV_FERRETDB_CONNECTIONS });
    services.push(ferret);
    env.MONGO_URL = ferret.url;
    // This process holds two main pools (the API's, the voucher jobs'): both stay below FerretDB's connections.
    env.MONGO_MAX_POOL_SIZE ??= String(mongoPoolWithin(DEV_FERRETDB_CONNECTIONS, 2));
    console.log(`FerretDB (${handler}) started: ${ferret.url}`);
  }
  env.PASSWORD_HASH_PROFILE ??= 'test';
  // The demo burst logs a thousand users in from this one machine.
  env.RATE_LIMIT_PROFILE ??= 'relaxed';
  // FerretDB on a laptop answers a burst far slower than MongoDB does; don't turn its slowness into 503s.
  if (!process.env.MONGO_URL) env.MONGO_OPERATION_TIMEOUT_MS ??= '5000';
  env.PORT = String(args.port);
  env.METRICS_PORT ??= String(args.port === 0 ? 0 : args.port + 1);
  const config = loadConfig(env);

  console.log(
    await seed(
      { campaign: args.campaign, limit: args.limit, users: args.users, password: DEMO_PASSWORD, prefix: 'user' },
      config,
      progress('accounts'),
    ),
  );

  const logger = createLogger(config.logLevel, 'dev');
  const api = await composeApi(config, logger, { requestLogger: unredacted(logger) });
  const workers = await startWorkers(config, logger);
  const server = createHttpServer(api.listener, config.http);
  await listen(server, config.http.port, '127.0.0.1');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { registry } = api.metrics;
  const metricsServer = createHttpServer(
    metricsListener(() => registry.metrics(), registry.contentType),
    config.http,
  );
  await listen(metricsServer, config.metrics.port, '127.0.0.1');

  console.log(`
promotion service running at ${url} (API and voucher worker; Ctrl-C stops everything)
  try one login:
    curl -s -X POST ${url}/api/login-campaign -H 'content-type: application/json' \\
      -d '{"account":"user1","password":"${DEMO_PASSWORD}"}'
  see user1's vouchers:
    curl -s -u 'user1:${DEMO_PASSWORD}' ${url}/api/vouchers
  metrics (Prometheus text):
    curl -s http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics
  fire a burst of ${args.users} logins and count the vouchers (another terminal):
    npm run burst -- --url ${url} --users ${args.users}
`);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('stopping ...');
  metricsServer.close();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
  await workers.close();
  await api.close();
  for (const service of services) await service.remove();
});
