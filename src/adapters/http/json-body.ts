import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import type { z } from 'zod';

import { AppError } from '../../errors';

/**
 * Parses JSON bodies only. Another content type, or a compressed body, is refused with 415, a body over
 * the limit with 413 (the parser stops reading there), malformed JSON with 400. Nothing reaches a route
 * unparsed; a bodiless request is fine.
 */
export function jsonBody(limitBytes: number): Middleware {
  const parse = bodyParser({
    enableTypes: ['json'],
    jsonLimit: limitBytes,
    jsonStrict: true,
    onError: (error) => {
      const { status, type } = error as { status?: number; type?: string };
      if (status === 413 || type === 'entity.too.large') throw new AppError('PAYLOAD_TOO_LARGE');
      // jsonStrict: an object or an array only (a bare null, number or string is refused too).
      throw new AppError('INVALID_REQUEST', 'The request body must be a JSON object.');
    },
  });
  return async (ctx, next) => {
    if (['POST', 'PUT', 'PATCH'].includes(ctx.method) && hasBody(ctx) && !isPlainJson(ctx)) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE');
    }
    await parse(ctx, next);
  };
}

/** A rule broken, in our words: zod's own text for an unknown key quotes the key, which is input. */
function problemOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return 'unknown field: only the documented fields are accepted';
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'too_big':
      return `at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters' : ''}`;
    case 'too_small':
      return `at least ${String(issue.minimum)}${issue.origin === 'string' ? ' characters' : ''}`;
    default:
      return issue.message; // our own messages (regex rules, refinements) and zod's, which name no value
  }
}

/**
 * Validates input with a zod schema. Errors name the field and the rule, never the value sent (it may be a
 * password) nor an unknown key's name.
 */
export function validate<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: problemOf(issue) }));
  throw new AppError('INVALID_REQUEST', 'The request body or parameters are invalid.', { problems });
}

/** A request body is announced by a length above 0 or by chunked transfer. */
export function hasBody(ctx: Context): boolean {
  return ctx.get('transfer-encoding') !== '' || Number(ctx.get('content-length') || '0') > 0;
}

/** JSON, not compressed: a compressed body could unpack to far more than the size limit allows. */
export function isPlainJson(ctx: Context): boolean {
  const encoding = ctx.get('content-encoding').toLowerCase();
  return ctx.request.type === 'application/json' && (encoding === '' || encoding === 'identity');
}
