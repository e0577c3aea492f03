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
        sendError(ctx, errorBody(error.code, message, error.details), retryAfterSeconds);
        return;
      }
      const status = (error as { status?: unknown }).status;
      if (status === 405 || status === 501) {
        sendError(ctx, errorBody('METHOD_NOT_ALLOWED'), retryAfterSeconds);
        return;
      }
      logger.error({ err: error, method: ctx.method, path: ctx.path }, 'unhandled error');
      sendError(ctx, errorBody('INTERNAL_ERROR'), retryAfterSeconds);
    }
  };
}
