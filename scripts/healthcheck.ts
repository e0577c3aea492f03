import { parseArgs } from 'node:util';

const HELP = `usage: node dist/scripts/healthcheck.js <url> [--timeout-ms <ms>]

Asks <url> once (GET) and exits 0 when it answers 2xx within --timeout-ms (default 4000), else 1,
printing the status and the start of the answer (docker inspect shows it with the container's health).
The image has no curl: the Dockerfile's HEALTHCHECK (the API's /ready) and docker-compose.yml's
healthchecks (the worker's own /ready) run this. It loads nothing but Node itself, so a probe is cheap.`;

export interface ProbeResult {
  healthy: boolean;
  /** What the probe saw, in one line. */
  line: string;
}

function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch says "fetch failed"; the cause says why (ECONNREFUSED, a timeout, ...).
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

/** One GET of `url`: healthy on a 2xx answer, body included, within `timeoutMs`. */
export async function probe(url: string, timeoutMs: number): Promise<ProbeResult> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    const body = (await response.text()).slice(0, 400).replace(/\s+/g, ' ');
    return { healthy: response.ok, line: `${url}: ${response.status} ${body}` };
  } catch (error) {
    return { healthy: false, line: `${url}: no answer (${reason(error)})` };
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'timeout-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
}

/** Exit codes as Docker reads them: 0 healthy, 1 not (Docker reserves 2, so usage errors are 1 too). */
async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`${reason(error)}\n\n${HELP}\n`);
    return 1;
  }
  if (parsed.values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [url, ...extra] = parsed.positionals;
  const timeoutMs = Number(parsed.values['timeout-ms'] ?? 4_000);
  const problem =
    url === undefined
      ? 'a URL is required'
      : extra.length > 0
        ? 'one URL only'
        : !/^https?:\/\//.test(url)
          ? `not an http(s) URL: ${url.slice(0, 100)}`
          : !(timeoutMs > 0)
            ? '--timeout-ms must be a positive number'
            : null;
  if (problem !== null || url === undefined) {
    process.stderr.write(`${problem ?? 'a URL is required'}\n\n${HELP}\n`);
    return 1;
  }
  const { healthy, line } = await probe(url, timeoutMs);
  (healthy ? process.stdout : process.stderr).write(`${line}\n`);
  return healthy ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`healthcheck failed: ${reason(error)}\n`);
      process.exit(1);
    },
  );
}
