import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig } from '../../src/config';
import { runCli } from '../lib/cli';
import { hs256Token } from '../lib/hs256-token';
import { freePort, startFerretDb, startRedisServer, type LocalService } from '../lib/local-services';
import { seed } from '../seed';
import { build, children, load, log, quiet, sleep, soldOutApiEnv, start, waitFor } from './harness';

/**
 * `npx tsx scripts/bench/repeat-logins.ts`: row 1's sold-out load (token logins at 100 connections, a
 * distinct client address per request, the standard limits, TRUST_PROXY), on BENCH_PROCESSES API
 * processes (2), for BENCH_SECONDS (10) at a time, alternating: users logging in to the campaign for the
 * first time, then the first load's users again (each already recorded as a participant), three times
 * each. Prints each load's rate. What it shows: how much a load of repeat logins costs against one of
 * first logins (their participations are refused as duplicates: FerretDB then inserts the batch again one
 * document at a time).
 */
const processes = process.env.BENCH_PROCESSES ?? '2';
const seconds = Number(process.env.BENCH_SECONDS ?? 10);

runCli(async () => {
  const services: LocalService[] = [];
  const work = mkdtempSync(join(tmpdir(), 'promo-repeat-'));
  try {
    const redis = await startRedisServer({ appendOnly: true });
    services.push(redis);
    const ferret = await startFerretDb({ database: 'repeat' });
    services.push(ferret);
    build();
    const secret = randomBytes(32).toString('hex');
    const port = await freePort();
    const env = soldOutApiEnv({ mongo: ferret.url, redis: redis.url }, port, secret, {
      API_PROCESSES: processes,
      LOG_LEVEL: 'warn',
      MONGO_OPERATION_TIMEOUT_MS: '5000',
    });
    await seed({ campaign: 'soldout', limit: 1, users: 1, password: 'repeat-password', prefix: 'p' }, loadConfig(env));
    start('src/cluster.ts', env, 'api');
    const url = `http://127.0.0.1:${port}/api/login-campaign`;
    await waitFor(`http://127.0.0.1:${port}/ready`);
    // The first winner fills the campaign; every later login is the sold-out path.
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.1' },
      body: JSON.stringify({ account: 'p1', password: 'repeat-password', campaignId: 'soldout' }),
    });
    const expires = Math.floor(Date.now() / 1000) + 3_600;
    const tokensFile = join(work, 'tokens.txt');
    writeFileSync(
      tokensFile,
      Array.from({ length: 600_000 }, (_, i) => hs256Token(`repeat-user-${i}`, expires, secret)).join('\n'),
    );
    const spec = {
      url,
      connections: 100,
      durationSeconds: seconds,
      body: JSON.stringify({ campaignId: 'soldout' }),
      tokensFile,
      distinctAddresses: true,
    };
    let fresh = 0;
    for (const kind of [
      'first logins',
      'repeat logins',
      'first logins',
      'repeat logins',
      'first logins',
      'repeat logins',
    ]) {
      await quiet();
      const firstRequest = kind === 'first logins' ? fresh : 0;
      const result = await load({ ...spec, firstRequest });
      if (kind === 'first logins') fresh += result.requests + spec.connections;
      log(
        `${kind} (users from ${firstRequest}): ${result.reqPerSec.toFixed(0)} req/s, p99 ${result.p99} ms, non-2xx ${result.non2xx}`,
      );
    }
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await sleep(1_000);
    for (const service of services) await service.remove();
    rmSync(work, { recursive: true, force: true });
  }
});
