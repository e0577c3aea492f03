import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import type Router from '@koa/router';
import helmet from 'koa-helmet';

/** Swagger UI's files, shipped by the swagger-ui-dist package: no CDN, nothing fetched from elsewhere. */
const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));

/** Starts Swagger UI on the document; relative URLs, so the page also works under a proxy's path prefix. */
const START_SCRIPT = `window.ui = SwaggerUIBundle({
  url: 'openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  displayOperationId: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
`;

/**
 * Every file /docs/assets/ serves, by name: only these, read from the package or held here. A request
 * names a key of this table, never a path, so nothing else on disk can be reached.
 */
const ASSETS: ReadonlyMap<string, { type: string; load: () => Promise<Buffer> }> = new Map([
  ['swagger-ui-bundle.js', { type: 'text/javascript; charset=utf-8', load: fromPackage('swagger-ui-bundle.js') }],
  ['swagger-ui.css', { type: 'text/css; charset=utf-8', load: fromPackage('swagger-ui.css') }],
  ['favicon-32x32.png', { type: 'image/png', load: fromPackage('favicon-32x32.png') }],
  ['start.js', { type: 'text/javascript; charset=utf-8', load: async () => Buffer.from(START_SCRIPT) }],
]);

/** Read once, on first use, then served from memory. */
function fromPackage(file: string): () => Promise<Buffer> {
  let content: Promise<Buffer> | undefined;
  return () => {
    content ??= readFile(join(SWAGGER_UI_DIR, file)).catch((error: unknown) => {
      content = undefined; // a failed read is retried by the next request
      throw error;
    });
    return content;
  };
}

/**
 * Part of every asset URL: it changes with the package's version and with START_SCRIPT, so the assets can
 * be cached for a year and a new release is still fetched at once.
 */
const VERSION = createHash('sha256')
  .update(JSON.parse(readFileSync(join(SWAGGER_UI_DIR, 'package.json'), 'utf8')).version as string)
  .update(START_SCRIPT)
  .digest('hex')
  .slice(0, 12);

const asset = (name: string) => `docs/assets/${name}?v=${VERSION}`;
const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Promotion service API</title>
    <link rel="icon" type="image/png" href="${asset('favicon-32x32.png')}" />
    <link rel="stylesheet" href="${asset('swagger-ui.css')}" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${asset('swagger-ui-bundle.js')}"></script>
    <script src="${asset('start.js')}"></script>
  </body>
</html>
`;

/**
 * The page's own content policy, in place of the API's `default-src 'none'`: scripts, styles, images and
 * the document from this origin only (Swagger UI's icons are data: images). No inline script or style:
 * Swagger UI needs none, even with every operation, "Try it out" and "Authorize" open; the browser test
 * fails on a violation.
 */
const pagePolicy = helmet.contentSecurityPolicy({
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
});

/** GET /docs: the OpenAPI document as a page (Swagger UI), and its files under /docs/assets/. */
export function docsRoutes(router: Router): void {
  router.get('/docs', pagePolicy, (ctx) => {
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = PAGE;
  });

  router.get('/docs/assets/:name', async (ctx) => {
    const found = ASSETS.get(ctx.params.name ?? '');
    if (found === undefined) return; // 404
    ctx.body = await found.load();
    ctx.type = found.type;
    ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
  });
}
