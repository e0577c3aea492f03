import type { Context, Middleware } from 'koa';

import { AppError, ERROR_CODES, type ErrorCode } from '../../errors';
import type { Logger } from '../../ports/logger.port';
import { HTTP_STATUS } from './error-status';

export interface ErrorBody {
  status: false;
  errorCode: ErrorCode;
  errorMessage: string;
  details?: Record<string, unknown>;
}

/**
 * The details a caller may see: facts of ours (the rule broken, the limit that applies, when to retry),
 * never a value the caller sent. Anything else an AppError carries (ids, for instance) is for the log.
 */
const PUBLIC_DETAILS = new Set(['problems', 'scope', 'reason', 'retryAfterSeconds', 'counter', 'highestSlot', 'max']);

function publicDetails(details: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (details === undefined) return undefined;
  const shown = Object.entries(details).filter(([key]) => PUBLIC_DETAILS.has(key));
  return shown.length === 0 ? undefined : Object.fromEntries(shown);
}

export function errorBody(
  code: ErrorCode,
  message: string = ERROR_CODES[code],
  details?: Record<string, unknown>,
): ErrorBody {
  return details === undefined
    ? { status: false, errorCode: code, errorMessage: message }
    : { status: false, errorCode: code, errorMessage: message, details };
}

/** An error answer: its status, body, and Retry-After (429s and 503s carry one, so clients back off). */
export interface ErrorAnswer {
  status: number;
  body: ErrorBody;
  retryAfterSeconds: number | undefined;
}

export function errorAnswer(body: ErrorBody, retryAfterSeconds: number): ErrorAnswer {
  const status = HTTP_STATUS[body.errorCode];
  const wait = body.details?.retryAfterSeconds;
  return {
    status,
    body,
    retryAfterSeconds:
      status === 503 || status === 429 ? (typeof wait === 'number' ? wait : retryAfterSeconds) : undefined,
  };
}

/** Writes an error answer. */
export function sendError(ctx: Context, body: ErrorBody, retryAfterSeconds: number): void {
  const answer = errorAnswer(body, retryAfterSeconds);
  ctx.status = answer.status;
  if (answer.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(answer.retryAfterSeconds));
  ctx.body = answer.body;
}

/** Client errors raised by libraries (routers, body parsers) as http-errors, in our catalogue. */
const LIBRARY_STATUS: Record<number, ErrorCode> = {
  400: 'INVALID_REQUEST',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  501: 'METHOD_NOT_ALLOWED',
};

/**
 * Any thrown error as the JSON error shape. AppErrors carry their code; anything else is a bug or an
 * outage: the caller sees INTERNAL_ERROR without a stack, the log gets the whole error.
 */
export function bodyForError(error: unknown, logger: Logger, request: { method: string; path: string }): ErrorBody {
  if (error instanceof AppError) {
    if (error.code === 'SERVICE_UNAVAILABLE') logger.warn({ err: error, path: request.path }, 'service unavailable');
    // Only the catalogue message for internal codes; AppError messages may name internals.
    const message = HTTP_STATUS[error.code] >= 500 ? ERROR_CODES[error.code] : error.message;
    return errorBody(error.code, message, publicDetails(error.details));
  }
  const status = (error as { status?: unknown }).status;
  const code = typeof status === 'number' ? LIBRARY_STATUS[status] : undefined;
  if (code !== undefined) return errorBody(code);
  logger.error({ err: error, method: request.method, path: request.path }, 'unhandled error');
  return errorBody('INTERNAL_ERROR');
}

/** Turns every thrown error into the JSON error shape, and a request no route answered into NOT_FOUND. */
export function errorHandler(logger: Logger, retryAfterSeconds: number): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) sendError(ctx, errorBody('NOT_FOUND'), retryAfterSeconds);
    } catch (error) {
      sendError(ctx, bodyForError(error, logger, ctx), retryAfterSeconds);
    }
  };
}
