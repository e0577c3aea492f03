import type { Queue } from 'bullmq';
import type { Middleware } from 'koa';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const BULL_BOARD_PATH = '/admin/queues';

/**
 * Bull Board over our queues, as a middleware for the caller to mount at BULL_BOARD_PATH (its pages link
 * there) behind requireAdmin: authentication is not its job. `readOnly` hides retry, clean and promote.
 *
 * The board's packages are loaded, and the board built, on its first request (one that got past the
 * guard), not at start: an API process whose operators never open it does not carry them (idle, about
 * 10 MB less resident memory per process). A failed build is tried again on the next request.
 */
export function bullBoard(queues: readonly Queue[], readOnly: boolean): Middleware {
  let board: Promise<Middleware> | undefined;
  return async (ctx, next) => {
    board ??= buildBoard(queues, readOnly);
    const middleware = await board.catch((error: unknown) => {
      board = undefined;
      throw error;
    });
    return middleware(ctx, next);
  };
}

async function buildBoard(queues: readonly Queue[], readOnly: boolean): Promise<Middleware> {
  const [{ createBullBoard }, { BullMQAdapter }, { KoaAdapter }] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/koa'),
  ]);
  const serverAdapter = new KoaAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: readOnly })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Promotion queues' } },
  });
  serverAdapter.setViewsPath(selfContainedViews());
  return serverAdapter.registerPlugin({ mount: '/' });
}

let views: string | undefined;

/**
 * Bull Board's page template without its link to Google Fonts, so the operators' page loads nothing from
 * another site (its content policy would refuse it anyway; the fonts fall back to the system's). Written
 * once per process, into a temporary directory removed when the process exits; the scripts and styles are
 * still served from the package.
 */
function selfContainedViews(): string {
  if (views !== undefined) return views;
  const original = join(dirname(require.resolve('@bull-board/ui/package.json')), 'dist', 'index.ejs');
  const template = readFileSync(original, 'utf8').replace(/<link[^>]*fonts\.googleapis\.com[^>]*>\s*/g, '');
  const dir = mkdtempSync(join(tmpdir(), 'promotion-board-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'index.ejs'), template);
  views = dir;
  return dir;
}
