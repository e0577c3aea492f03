import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';

import autocannon from 'autocannon';

/**
 * The load generator, run as a process of its own by scripts/bench.ts: one run, described by the JSON in
 * BENCH_LOAD, answered as one JSON line on stdout. Bearer tokens, when given, are handed out one per
 * request in order, so a run of N requests over N tokens is N distinct users. autocannon drives it, except
 * for a run that honours Retry-After (autocannon re-sends a shed request at once): that one is driven by
 * `politeRun` below, one loop per connection.
 */
export interface LoadSpec {
  url: string;
  connections: number;
  /** A fixed number of requests (the burst), or a duration in seconds (throughput). */
  amount?: number;
  durationSeconds?: number;
  body: string;
  tokensFile?: string;
  /** Rotating request bodies instead of one (the password path: a different user per request). */
  bodiesFile?: string;
  /** A different client address per request, in X-Forwarded-For (the API trusts one proxy hop). */
  distinctAddresses?: boolean;
  /**
   * Where in the tokens (and client addresses) this load begins: a later load against the same campaign
   * starts past the users an earlier one logged in, so every request is a user's first login there.
   */
  firstRequest?: number;
  /** A connection told 503 with Retry-After waits that long before its next request, as the API asks. */
  honourRetryAfter?: boolean;
}

/** The i-th of 2^24 client addresses, 10.0.0.0/8. */
const address = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

const spec = JSON.parse(process.env.BENCH_LOAD ?? '{}') as LoadSpec;
const tokens = spec.tokensFile === undefined ? [] : readFileSync(spec.tokensFile, 'utf8').split('\n').filter(Boolean);
const bodies = spec.bodiesFile === undefined ? [] : readFileSync(spec.bodiesFile, 'utf8').split('\n').filter(Boolean);
let next = spec.firstRequest ?? 0;

/** The request the i-th call sends: its body and headers. */
function nth(): { body: string; headers: Record<string, string> } {
  const i = next;
  next += 1;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (tokens.length > 0) headers.authorization = `Bearer ${tokens[i % tokens.length]}`;
  if (spec.distinctAddresses === true) headers['x-forwarded-for'] = address(i);
  return { body: bodies.length > 0 ? (bodies[i % bodies.length] as string) : spec.body, headers };
}

const print = (result: object) => process.stdout.write(`${JSON.stringify(result)}\n`);

if (spec.honourRetryAfter === true) void politeRun().then(print);
else autocannonRun();

function autocannonRun(): void {
  const instance = autocannon(
    {
      url: spec.url,
      connections: spec.connections,
      ...(spec.amount === undefined ? { duration: spec.durationSeconds ?? 10 } : { amount: spec.amount }),
      timeout: 30,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: spec.body,
          setupRequest: (request: autocannon.Request) => ({ ...request, ...nth() }),
        },
      ],
    },
    (error, result) => {
      if (error) {
        process.stderr.write(`${String(error)}\n`);
        process.exit(1);
      }
      print({
        requests: result.requests.total,
        seconds: result.duration,
        reqPerSec: result.requests.total / result.duration,
        p50: result.latency.p50,
        p99: result.latency.p99,
        max: result.latency.max,
        percentiles: {
          p50: result.latency.p50,
          p90: result.latency.p90,
          p97_5: result.latency.p97_5,
          p99: result.latency.p99,
          p99_9: result.latency.p99_9,
          max: result.latency.max,
        },
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        statusCodes: result.statusCodeStats,
      });
    },
  );
  process.once('SIGINT', () => instance.stop());
}

/**
 * A duration run whose connections behave as the API asks of a client: after a 503 with Retry-After, that
 * connection sends nothing more until the time has passed (or the run ends). Keep-alive connections, one
 * request at a time on each, as autocannon's. Time counts until the last answer.
 */
async function politeRun(): Promise<object> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
  const url = new URL(spec.url);
  const started = Date.now();
  const deadline = started + (spec.durationSeconds ?? 10) * 1000;
  const latencies: number[] = [];
  const statusCodes: Record<string, { count: number }> = {};
  let errors = 0;
  let waitedMs = 0;

  const post = (): Promise<{ status: number; retryAfter: number | undefined }> =>
    new Promise((resolve, reject) => {
      const { body, headers } = nth();
      const call = httpRequest(
        { agent, method: 'POST', hostname: url.hostname, port: url.port, path: url.pathname, headers, timeout: 30_000 },
        (response) => {
          response.resume();
          response.once('end', () => {
            const retryAfter = Number(response.headers['retry-after']);
            resolve({
              status: response.statusCode ?? 0,
              retryAfter: Number.isFinite(retryAfter) ? retryAfter : undefined,
            });
          });
        },
      );
      call.once('timeout', () => call.destroy(new Error('timeout')));
      call.once('error', reject);
      call.end(body);
    });

  const connection = async (): Promise<void> => {
    while (Date.now() < deadline) {
      const sent = process.hrtime.bigint();
      try {
        const { status, retryAfter } = await post();
        latencies.push(Number(process.hrtime.bigint() - sent) / 1e6);
        (statusCodes[status] ??= { count: 0 }).count += 1;
        if (status === 503 && retryAfter !== undefined) {
          const wait = Math.max(0, Math.min(retryAfter * 1000, deadline - Date.now()));
          waitedMs += wait;
          await new Promise((resolve) => setTimeout(resolve, wait));
        }
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, connection));
  agent.destroy();

  const seconds = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0);
  const max = Math.round(latencies.at(-1) ?? 0);
  const non2xx = Object.entries(statusCodes)
    .filter(([status]) => !status.startsWith('2'))
    .reduce((sum, [, { count }]) => sum + count, 0);
  return {
    requests: latencies.length,
    seconds,
    reqPerSec: latencies.length / seconds,
    p50: at(50),
    p99: at(99),
    max,
    percentiles: {
      p50: at(50),
      p90: at(90),
      p97_5: at(97.5),
      p99: at(99),
      p99_9: at(99.9),
      max,
    },
    non2xx,
    errors,
    timeouts: 0,
    statusCodes,
    waitedSeconds: waitedMs / 1000,
  };
}
