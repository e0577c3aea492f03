import { spawn, type ChildProcess } from 'node:child_process';

import { PROJECT_ROOT, freePort } from '../../scripts/lib/local-services';
import { cleanEnv, runScript, tsNodeArgs } from '../support/run-script';

/**
 * The README's first command, end to end: `npm run dev` starts its own Redis and FerretDB, seeds a demo
 * campaign, serves the API with a worker; `npm run burst` fires the logins and counts the vouchers.
 */
let dev: ChildProcess;
let output = '';

afterAll(async () => {
  if (dev.exitCode === null) dev.kill('SIGKILL');
});

test('npm run dev serves a demo campaign whose winners all get a voucher, and stops cleanly', async () => {
  const port = await freePort();
  const env = cleanEnv({ FERRETDB_HANDLER: process.env.FERRETDB_HANDLER ?? '' });
  dev = spawn(
    process.execPath,
    tsNodeArgs('scripts/dev.ts', ['--port', String(port), '--users', '60', '--limit', '10']),
    {
      cwd: PROJECT_ROOT,
      env: env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  dev.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  dev.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 90_000;
  while (!output.includes('promotion service running at') && Date.now() < deadline && dev.exitCode === null) {
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(output).toContain(`promotion service running at http://127.0.0.1:${port}`);
  expect(output).toMatch(/redis-server started[\s\S]*FerretDB \(\w+\) started/);
  expect(output).toContain('curl -s -X POST');

  const burst = await runScript('scripts/burst.ts', ['--url', `http://127.0.0.1:${port}`, '--users', '60'], env);
  expect(burst.stderr).toBe('');
  expect(burst.stdout).toMatch(/60 logins in [\d.]+ s: (won 10, full 50|full 50, won 10)/);
  expect(burst.stdout).toContain('winners: 10; vouchers issued to them: 10');
  expect(burst.code).toBe(0);

  const exited = new Promise<number | null>((resolve) => dev.once('exit', resolve));
  dev.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(output).toContain('stopping ...');
}, 150_000);
