import type { Middleware } from 'koa';
import helmet from 'koa-helmet';

import { BULL_BOARD_PATH } from './bull-board';

/**
 * Security headers (helmet) on every answer. The JSON API gets the strictest content policy (it serves no
 * page); Bull Board, a browser application, gets one that allows its own scripts, styles and images, and
 * nothing from elsewhere. helmet's default directives are not merged in (they would allow https: fonts
 * and styles from anywhere). The /docs page sets its own policy (routes/docs.route.ts).
 */
export function securityHeaders(): Middleware {
  const api = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
  });
  const board = helmet({
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
  return (ctx, next) => (ctx.path.startsWith(BULL_BOARD_PATH) ? board(ctx, next) : api(ctx, next));
}
