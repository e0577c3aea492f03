import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

import { parse as parseJson } from '@hapi/bourne';

import type { LoginToCampaign } from '../../application/login-to-campaign.use-case';
import { AppError } from '../../errors';
import type { Logger } from '../../ports/logger.port';
import { requestIdFrom, withRequestContext } from '../../request-context';
import { clientAddress, type ProxyTrust } from './client-address';
import { withinDeadline, type Deadline } from './deadline';
import { bodyForError, errorAnswer } from './error-body';
import type { Metrics } from './metrics';
import { recordRequest } from './request-log';
import { LOGIN_PATH, loginAnswer, loginInput } from './routes/login.route';
import { API_SECURITY_HEADERS } from './security-headers';

export interface LoginFastLaneDeps {
  login: LoginToCampaign;
  proxy: ProxyTrust;
  metrics: Metrics;
  logger: Logger;
  requestLogger: Logger;
  bodyLimitBytes: number;
  deadline: Deadline;
  retryAfterSeconds: number;
  isShuttingDown: () => boolean;
}

/**
 * The content types the lane takes: JSON in UTF-8, spelled as clients send it. Any other spelling (upper
 * case, spaces, another charset) goes to Koa, which decides about it as it always has (an outside attack
 * found spellings the two judged differently when the lane matched more loosely).
 */
const PLAIN_JSON = new Set([
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=utf-8',
  'application/json; charset=UTF-8',
  'application/json;charset=UTF-8',
]);
/** A UTF-8 byte order mark: the Koa body parser's decoder drops it, and so does the lane. */
const BYTE_ORDER_MARK = '\uFEFF';
/** RFC 7159 whitespace, then an object or an array: the Koa body parser's strict mode. */
const STRICT_JSON = /^[ \t\n\r]*[[{]/;
const NOT_AN_OBJECT = 'The request body must be a JSON object.';

/** The security headers and content type of every answer, flattened once for writeHead. */
const FIXED_HEADERS: readonly string[] = [
  ...API_SECURITY_HEADERS.flat(),
  'Content-Type',
  'application/json; charset=utf-8',
];

/** A header's value as Koa's ctx.get gives it, absent when empty (Node joins repeated ones with ", "). */
const headerOf = (value: string | string[] | undefined): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

interface Answer {
  status: number;
  retryAfterSeconds: number | undefined;
  body: { errorCode: string | null };
}

/**
 * The login's own lane, in front of Koa: `POST /api/login-campaign` with a small plain JSON body. Token
 * logins are the bulk of a burst and nearly all of a sold-out campaign's traffic; password logins come
 * here too, so that a flood the hashing line sheds (503 SERVER_BUSY at once) costs little. It runs the
 * same use case, the same input and answer functions as the Koa route (routes/login.route.ts), the same
 * error shapes, security headers, request id, client address, deadline, metrics and log line, without
 * Koa's per-request context, middleware chain and body-parser streams: measured, those cost several times
 * the login itself. Every other request, and any login whose headers this lane does not take (another
 * content type or encoding, no length, too long, the process shutting down), goes to Koa untouched, which
 * answers it as before. test/integration/login-fast-lane.test.ts holds the two to the same answers.
 */
export function withLoginFastLane(koa: RequestListener, deps: LoginFastLaneDeps): RequestListener {
  const takes = (request: IncomingMessage): boolean => {
    if (request.method !== 'POST' || request.url !== LOGIN_PATH || deps.isShuttingDown()) return false;
    const { headers } = request;
    if (headers['content-type'] === undefined || !PLAIN_JSON.has(headers['content-type'])) return false;
    const encoding = headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') return false;
    if (headers['transfer-encoding'] !== undefined) return false;
    const length = Number(headers['content-length']);
    return length > 0 && length <= deps.bodyLimitBytes;
  };

  const failed = (error: unknown): Answer =>
    errorAnswer(bodyForError(error, deps.logger, { method: 'POST', path: LOGIN_PATH }), deps.retryAfterSeconds);

  /** The answer, at once when the use case can decide without waiting (decideAtOnce), else a promise of it. */
  const decide = (request: IncomingMessage, text: string): Answer | Promise<Answer> => {
    try {
      const body = text.startsWith(BYTE_ORDER_MARK) ? text.slice(1) : text;
      if (!STRICT_JSON.test(body)) throw new AppError('INVALID_REQUEST', NOT_AN_OBJECT);
      let parsed: unknown;
      try {
        parsed = parseJson(body, { protoAction: 'error' });
      } catch {
        throw new AppError('INVALID_REQUEST', NOT_AN_OBJECT);
      }
      const input = loginInput(
        request.headers.authorization,
        parsed,
        clientAddress(headerOf(request.headers['x-forwarded-for']), request.socket.remoteAddress, deps.proxy),
      );
      const atOnce = deps.login.decideAtOnce(input);
      if (atOnce !== undefined) {
        deps.metrics.observeClaims(atOnce.campaigns);
        return loginAnswer(atOnce, deps.retryAfterSeconds);
      }
      return withinDeadline(deps.login.execute(input), deps.deadline, 'login').then((result) => {
        deps.metrics.observeClaims(result.campaigns);
        return loginAnswer(result, deps.retryAfterSeconds);
      }, failed);
    } catch (error) {
      return failed(error);
    }
  };

  const respond = (response: ServerResponse, requestId: string, answer: Answer, started: bigint): void => {
    const text = JSON.stringify(answer.body);
    const headers = ['X-Request-Id', requestId, ...FIXED_HEADERS, 'Content-Length', String(Buffer.byteLength(text))];
    if (answer.retryAfterSeconds !== undefined) headers.push('Retry-After', String(answer.retryAfterSeconds));
    if (!response.destroyed) response.writeHead(answer.status, headers).end(text);
    recordRequest(deps.requestLogger, deps.metrics, {
      method: 'POST',
      route: LOGIN_PATH,
      path: LOGIN_PATH,
      status: answer.status,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      errorCode: answer.body.errorCode ?? undefined,
    });
  };

  const serve = (request: IncomingMessage, response: ServerResponse): void => {
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(headerOf(request.headers['x-request-id']));
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('error', () => {}); // an aborted upload: nobody is left to answer
    request.on('end', () => {
      withRequestContext({ requestId }, () => {
        const answer = decide(request, body);
        if (!(answer instanceof Promise)) return respond(response, requestId, answer, started);
        answer
          .then((decided) => respond(response, requestId, decided, started))
          .catch((error: unknown) => deps.logger.error({ err: error }, 'login answer failed'));
      });
    });
  };

  return (request, response) => {
    if (takes(request)) serve(request, response);
    else void koa(request, response);
  };
}
