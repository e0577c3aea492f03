import type { Middleware } from 'koa';
import helmet from 'koa-helmet';

import { BULL_BOARD_PATH } from './bull-board';

/**
 * Security headers (helmet) on every answer. The JSON API gets the strictest content policy (it serves no
 * page); Bull Board, a browser application, gets one that allows its own scripts, styles and images.
 */
export function securityHeaders(): Middleware {
  const api = helmet({
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  });
  const board = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        frameAncestors: ["'none'"],
      },
    },
  });
  return (ctx, next) => (ctx.path.startsWith(BULL_BOARD_PATH) ? board(ctx, next) : api(ctx, next));
}
