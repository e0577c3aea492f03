import { spawnSync } from 'node:child_process';

import { PROJECT_ROOT } from '../../scripts/lib/local-services';
import { cleanEnv, tsNodeArgs } from '../support/run-script';

/** The last line of a process that dies: JSON like every other, at level fatal (60), and exit code 1. */
function run(script: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, tsNodeArgs(script, args), {
    cwd: PROJECT_ROOT,
    env: cleanEnv({ LOG_LEVEL: 'info', ...env }) as NodeJS.ProcessEnv,
    encoding: 'utf8',
    timeout: 30_000,
  });
  const lines = result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { status: result.status, lines, stderr: result.stderr };
}

test.each([
  ['throw', 'fixture: uncaught exception; exiting', 'thrown from a timer'],
  ['reject', 'fixture: unhandled promise rejection; exiting', 'rejected with nobody listening'],
])(
  'an error nobody handles (%s) is logged as one JSON line at level fatal, and the process exits 1',
  (how, msg, message) => {
    const { status, lines } = run('test/support/scripts/fatal.ts', [how]);
    expect(status).toBe(1);
    expect(lines[0]).toMatchObject({ msg: 'started' });
    expect(lines.at(-1)).toMatchObject({ level: 60, msg, err: expect.objectContaining({ message }) });
  },
);

test('an API that cannot start (production without its secrets) says why in JSON, and exits 1', () => {
  const { status, lines, stderr } = run('src/main.ts', [], { NODE_ENV: 'production' });
  expect(status).toBe(1);
  expect(stderr).toBe('');
  expect(lines.at(-1)).toMatchObject({ level: 60, msg: expect.stringMatching(/^api failed to start: /) });
  expect(String(lines.at(-1)?.msg)).toContain('ADMIN_PASSWORD');
});
