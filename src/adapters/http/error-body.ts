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

/** Writes an error answer; 429s and 503s carry Retry-After so clients back off instead of hammering. */
export function sendError(ctx: Context, body: ErrorBody, retryAfterSeconds: number): void {
  ctx.status = HTTP_STATUS[body.errorCode];
  if (ctx.status === 503 || ctx.status === 429) {
    const wait = body.details?.retryAfterSeconds;
    ctx.set('Retry-After', String(typeof wait === 'number' ? wait : retryAfterSeconds));
  }
  ctx.body = body;
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
 * Turns every thrown error into the JSON error shape. AppErrors carry their code; anything else is a bug
 * or an outage: the caller sees INTERNAL_ERROR without a stack, the log gets the whole error.
 */
export function errorHandler(logger: Logger, retryAfterSeconds: number): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) sendError(ctx, errorBody('NOT_FOUND'), retryAfterSeconds);
    } catch (error) {
      if (error instanceof AppError) {
        if (error.code === 'SERVICE_UNAVAILABLE') logger.warn({ err: error, path: ctx.path }, 'service unavailable');
        // Only the catalogue message for internal codes; AppError messages may name internals.
        const message = HTTP_STATUS[error.code] >= 500 ? ERROR_CODES[error.code] : error.message;
        sendError(ctx, errorBody(error.code, message, publicDetails(error.details)), retryAfterSeconds);
        return;
      }
      const status = (error as { status?: unknown }).status;
      const code = typeof status === 'number' ? LIBRARY_STATUS[status] : undefined;
      if (code !== undefined) {
        sendError(ctx, errorBody(code), retryAfterSeconds);
        return;
      }
      logger.error({ err: error, method: ctx.method, path: ctx.path }, 'unhandled error');
      sendError(ctx, errorBody('INTERNAL_ERROR'), retryAfterSeconds);
    }
  };
}
