import type { IncomingMessage, ServerResponse } from 'node:http';

import helmet, { type HelmetOptions } from 'helmet';
import type { Middleware } from 'koa';

import { BULL_BOARD_PATH } from './bull-board';

/** A header set, as name and value pairs. */
export type HeaderList = readonly (readonly [string, string])[];

/**
 * The headers helmet sets for these options, worked out once. helmet's answer does not depend on the
 * request for options like ours (every directive a fixed string: no nonce, no function), so the per-request
 * work is setting a fixed list, not running helmet's fourteen middlewares again.
 */
function helmetHeaders(options: HelmetOptions): HeaderList {
  const headers: [string, string][] = [];
  const response = {
    setHeader: (name: string, value: string | number) => headers.push([name, String(value)]),
    removeHeader: () => {},
  };
  let failed: unknown = null;
  let done = false;
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    failed = error ?? null;
    done = true;
  });
  if (!done || failed !== null) throw new Error(`helmet options refused: ${String(failed)}`);
  return headers;
}

/**
 * The JSON API's headers: the strictest content policy (it serves no page). The /docs page sets its own
 * policy (routes/docs.route.ts).
 */
export const API_SECURITY_HEADERS = helmetHeaders({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
  },
});

/**
 * Bull Board, a browser application: its own scripts, styles and images, nothing from elsewhere. helmet's
 * default directives are not merged in (they would allow https: fonts and styles from anywhere).
 */
const BOARD_SECURITY_HEADERS = helmetHeaders({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      objectSrc: ["'none'"],
      frameAncestors: ["'none'"],
    },
  },
});

/** Security headers (helmet's) on every answer: Bull Board's under its path, the API's everywhere else. */
export function securityHeaders(): Middleware {
  return (ctx, next) => {
    // The board's paths as koa-mount matches them: the path itself, or below it (not /admin/queuesX).
    const board = ctx.path === BULL_BOARD_PATH || ctx.path.startsWith(`${BULL_BOARD_PATH}/`);
    const headers = board ? BOARD_SECURITY_HEADERS : API_SECURITY_HEADERS;
    for (const [name, value] of headers) ctx.res.setHeader(name, value);
    return next();
  };
}
