import { readFileSync } from 'node:fs';

import autocannon from 'autocannon';

/**
 * The load generator, run as a process of its own by scripts/bench.ts: one autocannon run, described by
 * the JSON in BENCH_LOAD, answered as one JSON line on stdout. Bearer tokens, when given, are handed out
 * one per request in order, so a run of N requests over N tokens is N distinct users.
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
}

/** The i-th of 2^24 client addresses, 10.0.0.0/8. */
const address = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

const spec = JSON.parse(process.env.BENCH_LOAD ?? '{}') as LoadSpec;
const tokens = spec.tokensFile === undefined ? [] : readFileSync(spec.tokensFile, 'utf8').split('\n').filter(Boolean);
const bodies = spec.bodiesFile === undefined ? [] : readFileSync(spec.bodiesFile, 'utf8').split('\n').filter(Boolean);
let next = 0;

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
        setupRequest: (request: autocannon.Request) => {
          const i = next;
          next += 1;
          if (tokens.length > 0)
            request.headers = { ...request.headers, authorization: `Bearer ${tokens[i % tokens.length]}` };
          if (bodies.length > 0) request.body = bodies[i % bodies.length] as string;
          if (spec.distinctAddresses === true) request.headers = { ...request.headers, 'x-forwarded-for': address(i) };
          return request;
        },
      },
    ],
  },
  (error, result) => {
    if (error) {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    }
    process.stdout.write(
      `${JSON.stringify({
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
      })}\n`,
    );
  },
);
process.once('SIGINT', () => instance.stop());
