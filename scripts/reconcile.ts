import { z } from 'zod';

import { createApiRedis, waitForRedis } from '../src/adapters/redis/connection';
import { hasDrift, type ReconcileReport } from '../src/application/reconcile-campaign.use-case';
import { createQueues } from '../src/adapters/queue/queues';
import { connectDatabase, createStores, reconcileUseCase } from '../src/compose/common';
import { loadConfig } from '../src/config';
import { CAMPAIGN_ID_PATTERN } from '../src/domain/campaign';
import { createLogger } from '../src/logger';
import { silentLogger } from '../src/adapters/silent-logger';
import { parseCli, progress, runCli } from './lib/cli';

const HELP = `usage: npm run reconcile -- [--campaign <id>] [--dry-run]
       node dist/scripts/reconcile.js ...   (in the image, or after npm run build)

Rebuilds campaign counters in Redis from MongoDB (the authority) and re-delivers missing vouchers:
settings, the per-user slot map, claims stopped between Redis and MongoDB, the counter (raised; lowered
only to the limit when Redis lost the campaign's settings), free slots, voucher jobs. Safe next to live
traffic and next to the workers' own scheduled reconciliation. Without --campaign: every campaign that has started and ended less than a week ago.

  --campaign   one campaign id
  --dry-run    print what would be fixed, change nothing

Exits 0 when every campaign was reconciled (or, with --dry-run, inspected), 1 when one failed.
The workers already reconcile every RECONCILE_INTERVAL_MS, and after Redis loses its data, by themselves;
this is for an operator, or for a cron job as a second line, e.g. every minute:
  * * * * *  cd /srv/promotion && node dist/scripts/reconcile.js >>/var/log/reconcile.log 2>&1
Configuration comes from the environment (MONGO_URL, REDIS_URL, RECONCILE_GRACE_MS, ...).`;

const argsSchema = z.object({
  campaign: z.string().regex(CAMPAIGN_ID_PATTERN, 'letters, digits, ".", "_" or "-", at most 64').optional(),
  'dry-run': z.boolean().default(false),
});

function describe(report: ReconcileReport): string {
  const would = report.dryRun ? 'would ' : '';
  const { plan } = report;
  const lines = [
    `campaign ${report.campaignId}: ${report.winners} winners; counter ${String(report.counterBefore ?? 'missing')} -> ${String(report.counterAfter)}`,
  ];
  if (report.settingsRestored) lines.push(`  ${would}publish the database's settings (limit, paused, window, version)`);
  if (report.settingsAligned || (report.dryRun && plan.settings.kind === 'align')) {
    lines.push(`  ${would}align the database's version with the counter's (it held the same settings, newer)`);
  }
  if (report.settingsProblem === 'counter_ahead') {
    lines.push('  the counter holds newer settings than the database: left alone (save the campaign if this lasts)');
  }
  if (report.settingsProblem === 'limit_below_counter') {
    lines.push('  the database limit is below the slots handed out: refused (raise the limit)');
  }
  if (report.endedRunRemoved)
    lines.push(`  ${would}remove ${report.endedRunRemoved} winner records of a run a reset ended`);
  if (report.orphanVouchersRemoved)
    lines.push(`  ${would}remove ${report.orphanVouchersRemoved} vouchers that stand without a winner`);
  if (report.holdersRestored) lines.push(`  ${would}restore ${report.holdersRestored} forgotten winner slots`);
  if (report.holdersCorrected) lines.push(`  ${would}correct ${report.holdersCorrected} slot-map entries`);
  if (report.claimsCompleted)
    lines.push(`  ${would}complete ${report.claimsCompleted} claims stopped between Redis and MongoDB`);
  if (report.dryRun && plan.settlePending.length > 0)
    lines.push(`  would decide ${plan.settlePending.length} winners left pending by claims that stopped`);
  if (!report.dryRun && report.pendingSettled)
    lines.push(`  settled ${report.pendingSettled} winners left pending by claims that stopped`);
  if (!report.dryRun && report.pendingRemoved)
    lines.push(`  removed ${report.pendingRemoved} pending winners above the limit in force`);
  if (report.slotsFreed) lines.push(`  ${would}free ${report.slotsFreed} slots nobody holds`);
  if (report.freeListCleaned)
    lines.push(`  ${would}drop ${report.freeListCleaned} free-list entries that are held, won or above the limit`);
  if (report.vouchersRequeued) lines.push(`  ${would}re-deliver ${report.vouchersRequeued} voucher jobs`);
  if (report.vouchersInQueue) lines.push(`  ${report.vouchersInQueue} vouchers waiting in the queue`);
  if (report.waiting)
    lines.push(`  ${report.waiting} suspects seen, left alone until they persist past the grace period`);
  if (report.dryRun) {
    // The plan itself, item by item (at most a few of each, so a large campaign stays readable).
    const few = <T>(items: readonly T[], show: (item: T) => string) =>
      items.length === 0
        ? null
        : `${items.slice(0, 5).map(show).join(', ')}${items.length > 5 ? `, ... (${items.length})` : ''}`;
    const items: [string, string | null][] = [
      ['settings', plan.settings.kind === 'none' ? null : plan.settings.kind],
      ['restore', few(plan.restoreHolders, (h) => `${h.userId}=${h.slot}`)],
      ['correct', few(plan.correctHolders, (h) => `${h.userId} ${h.from}->${h.to}`)],
      ['complete', few(plan.completeClaims, (c) => `${c.userId}=${c.slot}`)],
      ['drop', few(plan.dropHolders, (d) => `${d.userId}=${d.slot}`)],
      ['counter', `raise to at least ${plan.counterTarget}`],
      ['unfree', few(plan.unfree, String)],
      ['free', few(plan.free, String)],
      ['redeliver', few(plan.redeliver, String)],
    ];
    lines.push('  plan:');
    for (const [name, value] of items) if (value !== null) lines.push(`    ${name}: ${value}`);
  }
  lines.push(hasDrift(report) ? `  drift: ${report.dryRun ? 'found' : 'fixed'}` : '  no drift');
  return lines.join('\n');
}

runCli(async () => {
  const args = parseCli(
    process.argv.slice(2),
    { campaign: { type: 'string' }, 'dry-run': { type: 'boolean' } },
    argsSchema,
    HELP,
  );
  if (args === null) return;
  const config = loadConfig();
  const dryRun = args['dry-run'];
  const mongo = await connectDatabase(config, 'promotion-reconcile', { operationTimeoutMs: 60_000 });
  const redis = createApiRedis(config.redis, { connectionName: 'promotion-reconcile', commandTimeoutMs: 10_000 });
  const queues = createQueues(redis, config, silentLogger);
  try {
    await waitForRedis(redis);
    const reconcile = reconcileUseCase(createStores(mongo), redis, queues, config, createLogger('silent', 'reconcile'));
    const bars = new Map<string, (done: number, total: number) => void>();
    const onProgress = (step: string, done: number, total: number): void => {
      if (total < 1_000) return; // only large campaigns need a progress line
      if (!bars.has(step)) bars.set(step, progress(`  ${step}`));
      bars.get(step)?.(done, total);
    };
    const results =
      args.campaign === undefined
        ? await reconcile.executeAll({ dryRun, onProgress })
        : [await reconcile.execute(args.campaign, { dryRun, onProgress })];
    if (results.length === 0) console.log('no campaign to reconcile');
    let failed = 0;
    for (const result of results) {
      if ('error' in result) {
        failed += 1;
        console.log(`campaign ${result.campaignId}: FAILED: ${result.error.message}`);
      } else {
        console.log(describe(result));
      }
    }
    if (failed > 0) throw new Error(`${failed} of ${results.length} campaigns could not be reconciled`);
  } finally {
    await queues.close();
    redis.disconnect();
    await mongo.client.close();
  }
});
