import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { PROJECT_ROOT } from '../../scripts/lib/local-services';

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Node's arguments for running one of our TypeScript files in a single process (tsx as a loader, not its
 * CLI, which would put a second process in between and keep a SIGKILL from reaching the script).
 */
export function tsNodeArgs(script: string, args: readonly string[] = []): string[] {
  return ['--import', 'tsx', join(PROJECT_ROOT, script), ...args];
}

/** Runs one of the project's TypeScript scripts as its own process, as `npm run <script>` would. */
export function runScript(
  script: string,
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 120_000,
): Promise<ScriptResult> {
  return runProcess(process.execPath, tsNodeArgs(script, args), { cwd: PROJECT_ROOT, env, timeoutMs });
}

/** Runs a command to its end (SIGKILL after `timeoutMs`), collecting its output. */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string | undefined>; timeoutMs: number },
): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The environment without the variables a test must control itself. */
export function cleanEnv(overrides: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of ['MONGO_URL', 'REDIS_URL', 'NODE_ENV', 'PORT', 'JEST_WORKER_ID']) delete env[name];
  // Private listeners on any free port: tests run side by side.
  return { ...env, LOG_LEVEL: 'warn', METRICS_PORT: '0', WORKER_PORT: '0', ...overrides };
}
