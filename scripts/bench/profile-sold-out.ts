import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import { SignJWT } from 'jose';

import { loadConfig } from '../../src/config';
import { PROJECT_ROOT, freePort, startFerretDb, startRedisServer } from '../lib/local-services';
import { runCli } from '../lib/cli';
import { seed } from '../seed';
import { soldOutApiEnv } from './harness';

/**
 * `PROFILE_SECONDS=10 npx tsx scripts/bench/profile-sold-out.ts`: a CPU profile (node --cpu-prof) of one API process serving the sold-out
 * path under load (token logins, a distinct user and client address per request, the standard rate
 * limits, TRUST_PROXY on), summarised as self time by where it is spent. PROFILE_SECONDS (10) sets the
 * load's length. The .cpuprofile is kept in a temporary folder, printed at the end (open it in Chrome's
 * DevTools for the call tree).
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const seconds = Number(process.env.PROFILE_SECONDS ?? 10);

/** Where a function lives, coarsely: a package, a file of ours, Node itself, or the VM. */
function placeOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] ?? ''}`;
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (packageMatch) return packageMatch[1] as string;
  return relative(PROJECT_ROOT, url.replace(/^file:\/\//, ''));
}

function summarise(profile: CpuProfile): {
  byPlace: [string, number][];
  byFunction: [string, number][];
  totalMs: number;
} {
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const micros = selfMicros.get(node.id) ?? 0;
    if (micros === 0 || node.callFrame.functionName === '(idle)') continue;
    total += micros;
    const place = placeOf(node.callFrame.url, node.callFrame.functionName);
    byPlace.set(place, (byPlace.get(place) ?? 0) + micros);
    const name = `${node.callFrame.functionName || '(anonymous)'} ${place}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  }
  const top = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).slice(0, 25);
  return { byPlace: top(byPlace), byFunction: top(byFunction), totalMs: total / 1000 };
}

runCli(async () => {
  const work = mkdtempSync(join(tmpdir(), 'promo-profile-'));
  const redis = await startRedisServer();
  const ferret = await startFerretDb({ database: 'profile' });
  try {
    const build = spawnSync('npm', ['run', 'build'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
    const secret = randomBytes(32).toString('hex');
    const port = await freePort();
    const env = soldOutApiEnv({ mongo: ferret.url, redis: redis.url }, port, secret, {
      LOG_LEVEL: process.env.PROFILE_LOG_LEVEL ?? 'info',
    });
    await seed({ campaign: 'soldout', limit: 1, users: 1, password: 'profile-password', prefix: 'p' }, loadConfig(env));
    const api = spawn(
      process.execPath,
      [`--cpu-prof`, `--cpu-prof-dir=${work}`, join(PROJECT_ROOT, 'dist/src/main.js')],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, ...env },
        stdio: 'ignore',
      },
    );
    const url = `http://127.0.0.1:${port}`;
    for (let tries = 0; ; tries += 1) {
      const ready = await fetch(`${url}/ready`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
      if (tries > 300) throw new Error('the API did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    // The first winner fills the campaign; every later login is the sold-out path.
    await fetch(`${url}/api/login-campaign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ account: 'p1', password: 'profile-password', campaignId: 'soldout' }),
    });
    const key = new TextEncoder().encode(secret);
    const tokens: string[] = [];
    for (let i = 0; i < 200_000; i += 1) {
      tokens.push(
        await new SignJWT({ sub: `user-${i}` }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('50m').sign(key),
      );
    }
    const tokensFile = join(work, 'tokens.txt');
    writeFileSync(tokensFile, tokens.join('\n'));
    const spec = {
      url: `${url}/api/login-campaign`,
      connections: 100,
      durationSeconds: seconds,
      body: JSON.stringify({ campaignId: 'soldout' }),
      tokensFile,
      distinctAddresses: true,
    };
    const load = spawnSync(process.execPath, [join(PROJECT_ROOT, 'dist/scripts/bench/load.js')], {
      env: { ...process.env, BENCH_LOAD: JSON.stringify(spec) },
      encoding: 'utf8',
    });
    const result = JSON.parse(load.stdout.trim().split('\n').at(-1) ?? '{}') as {
      reqPerSec: number;
      statusCodes: unknown;
    };
    api.kill('SIGTERM');
    await new Promise((resolve) => api.once('exit', resolve));
    const file = readdirSync(work).find((name) => name.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error('no profile was written');
    const { byPlace, byFunction, totalMs } = summarise(
      JSON.parse(readFileSync(join(work, file), 'utf8')) as CpuProfile,
    );
    const share = (micros: number) => `${((micros / 1000 / totalMs) * 100).toFixed(1)}%`;
    console.log(
      `sold-out path: ${result.reqPerSec.toFixed(0)} req/s for ${seconds} s; statuses ${JSON.stringify(result.statusCodes)}`,
    );
    console.log(`CPU busy ${(totalMs / 1000).toFixed(1)} s; by place (self time):`);
    for (const [place, micros] of byPlace) console.log(`  ${share(micros).padStart(6)}  ${place}`);
    console.log('by function (self time):');
    for (const [name, micros] of byFunction) console.log(`  ${share(micros).padStart(6)}  ${name}`);
    console.log(`profile: ${join(work, file)}`);
  } finally {
    await redis.remove();
    await ferret.remove();
    if (process.env.PROFILE_KEEP !== '1') rmSync(join(work, 'tokens.txt'), { force: true });
  }
});
