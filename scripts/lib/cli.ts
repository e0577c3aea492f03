import { parseArgs, type ParseArgsConfig } from 'node:util';

import type { z } from 'zod';

/**
 * Small helpers shared by the CLIs: --help, argument validation with readable errors, and progress
 * lines (rewritten in place on a terminal, one line per step otherwise, so CI logs stay readable).
 */

export class UsageError extends Error {}

export function parseCli<T extends z.ZodType>(
  argv: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  schema: T,
  help: string,
): z.infer<T> | null {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${help}`);
  }
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return null;
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  --${issue.path.join('.')}: ${issue.message}`);
    throw new UsageError(`invalid arguments:\n${problems.join('\n')}\n\n${help}`);
  }
  return parsed.data;
}

export function progress(label: string): (done: number, total: number) => void {
  const tty = process.stdout.isTTY === true;
  let lastPercent = -1;
  return (done, total) => {
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (percent === lastPercent && done !== total) return;
    lastPercent = percent;
    const line = `${label}: ${done}/${total} (${percent}%)`;
    if (tty) process.stdout.write(`\r${line}${done === total ? '\n' : ''}`);
    else if (percent % 10 === 0 || done === total) process.stdout.write(`${line}\n`);
  };
}

/** Runs a CLI's main, mapping failures to a one-line message and a non-zero exit code. */
export function runCli(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      if (error instanceof UsageError) {
        process.stderr.write(`${error.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
