import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { KoaAdapter } from '@bull-board/koa';
import type { Queue } from 'bullmq';
import type { Middleware } from 'koa';

export const BULL_BOARD_PATH = '/admin/queues';

/**
 * Bull Board over our queues, as a middleware for the caller to mount at BULL_BOARD_PATH (its pages link
 * there) behind requireAdmin: authentication is not its job. `readOnly` hides retry, clean and promote.
 */
export function bullBoard(queues: readonly Queue[], readOnly: boolean): Middleware {
  const serverAdapter = new KoaAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: readOnly })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Promotion queues' } },
  });
  return serverAdapter.registerPlugin({ mount: '/' });
}
