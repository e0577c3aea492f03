import { Readable } from 'node:stream';

import type Router from '@koa/router';

import type { GetCampaignStats } from '../../../application/campaign-stats.use-case';
import { orUnavailable } from '../../../application/support/dependency-call';
import type { ExportWinners, WinnerRow } from '../../../application/export-winners.use-case';
import type { RequestReconcile } from '../../../application/request-reconcile.use-case';
import type { ResetCampaign } from '../../../application/reset-campaign.use-case';
import type { SaveCampaign } from '../../../application/save-campaign.use-case';
import type { AuditLog } from '../../../ports/audit-log.port';
import type { CampaignStore } from '../../../ports/campaign-store.port';

import { AppError } from '../../../errors';
import { createCampaignSchema, updateCampaignSchema } from '../admin-schemas';
import { validate } from '../json-body';
import { campaignIdSchema } from '../schemas';

export interface AdminCampaignDeps {
  campaigns: CampaignStore;
  saveCampaign: SaveCampaign;
  resetCampaign: ResetCampaign;
  stats: GetCampaignStats;
  exportWinners: ExportWinners;
  audit: AuditLog;
  requestReconcile: RequestReconcile;
  /** Called after every change, so this process's caches see it at once. */
  afterChange: () => void;
}

const CSV_HEADER = 'slot,userId,account,voucherCode,wonAt,voucherStatus\n';

/** A CSV field: quoted when it holds a comma, quote or line break; a leading = + - @ is defused for spreadsheets. */
function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

async function* csvLines(batches: AsyncIterable<WinnerRow[]>): AsyncIterable<string> {
  yield CSV_HEADER;
  for await (const rows of batches) {
    yield rows
      .map((r) =>
        [String(r.slot), r.userId, r.account, r.voucherCode, r.wonAt.toISOString(), r.voucherStatus]
          .map(csvField)
          .join(','),
      )
      .join('\n')
      .concat('\n');
  }
}

/** The campaign admin API, on the router mounted at /admin behind requireAdmin. */
export function adminCampaignRoutes(router: Router, deps: AdminCampaignDeps): void {
  const idOf = (params: Record<string, string | undefined>): string => validate(campaignIdSchema, params.id);

  router.get('/campaigns', async (ctx) => {
    ctx.body = { status: true, campaigns: await orUnavailable(deps.campaigns.list(), 'campaign list') };
  });

  router.post('/campaigns', async (ctx) => {
    const { id, ...changes } = validate(createCampaignSchema, ctx.request.body);
    const saved = await deps.saveCampaign.execute(id, changes, { actor: ctx.state.actor as string, mode: 'create' });
    deps.afterChange();
    ctx.status = 201;
    ctx.body = { status: true, campaign: saved.campaign, counter: saved.counter };
  });

  router.get('/campaigns/:id', async (ctx) => {
    const { campaign, stats } = await deps.stats.execute(idOf(ctx.params));
    ctx.body = { status: true, campaign, stats };
  });

  router.patch('/campaigns/:id', async (ctx) => {
    const changes = validate(updateCampaignSchema, ctx.request.body);
    const saved = await deps.saveCampaign.execute(idOf(ctx.params), changes, {
      actor: ctx.state.actor as string,
      mode: 'update',
    });
    deps.afterChange();
    ctx.body = { status: true, campaign: saved.campaign, counter: saved.counter };
  });

  for (const [action, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    router.post(`/campaigns/:id/${action}`, async (ctx) => {
      const saved = await deps.saveCampaign.execute(
        idOf(ctx.params),
        { paused },
        { actor: ctx.state.actor as string, mode: 'update', action },
      );
      deps.afterChange();
      ctx.body = { status: true, campaign: saved.campaign, counter: saved.counter };
    });
  }

  router.post('/campaigns/:id/reset', async (ctx) => {
    const deleted = await deps.resetCampaign.execute(idOf(ctx.params), ctx.state.actor as string);
    deps.afterChange();
    ctx.body = { status: true, deleted };
  });

  router.post('/campaigns/:id/reconcile', async (ctx) => {
    await deps.requestReconcile.execute(idOf(ctx.params), ctx.state.actor as string);
    ctx.status = 202;
    ctx.body = { status: true, queued: true };
  });

  router.get('/campaigns/:id/audit', async (ctx) => {
    const id = idOf(ctx.params);
    if ((await orUnavailable(deps.campaigns.findById(id), 'campaign lookup')) === null) {
      throw new AppError('CAMPAIGN_NOT_FOUND');
    }
    ctx.body = { status: true, entries: await orUnavailable(deps.audit.listByCampaign(id, 200), 'audit lookup') };
  });

  router.get('/campaigns/:id/winners.csv', async (ctx) => {
    const id = idOf(ctx.params);
    const batches = await orUnavailable(deps.exportWinners.open(id), 'winner export');
    ctx.type = 'text/csv; charset=utf-8';
    ctx.attachment(`winners-${id}.csv`);
    ctx.body = Readable.from(csvLines(batches));
  });
}
