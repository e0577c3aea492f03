import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { createApiRedis, waitForRedis } from '../../src/adapters/redis/connection';
import { RedisSlotCounter } from '../../src/adapters/redis/redis-slot-counter';
import { createQueues } from '../../src/adapters/queue/queues';
import {
  connectDatabase,
  createStores,
  reconcileUseCase,
  resetCampaignUseCase,
  saveCampaignUseCase,
  type Stores,
} from '../../src/compose/common';
import { loadConfig, type Config } from '../../src/config';
import { voucherCodeFor } from '../../src/application/support/voucher-code';
import { voucherFor } from '../../src/domain/voucher';
import type { MongoConnection } from '../../src/adapters/mongo/connection';
import type { RedisClient } from '../../src/adapters/redis/scripts';
import { silentLogger } from '../../src/adapters/silent-logger';
import { hasDrift } from '../../src/application/reconcile-campaign.use-case';
import { runCli } from '../lib/cli';

/**
 * The capacity model's other input: what one reconciliation pass costs. For each size in BENCH_WINNERS
 * (default "100,20000") a campaign with that many winners (slots claimed through the claim script, winner
 * and voucher records written in batches), then the pass the workers run every RECONCILE_INTERVAL_MS per
 * campaign, with nothing to fix, timed BENCH_PASSES times (best kept). Two sizes give the fixed cost per
 * campaign and the cost per winner. Uses MONGO_URL and REDIS_URL; prints one JSON line.
 */
const sizes = (process.env.BENCH_WINNERS ?? '100,20000').split(',').map(Number);
const passes = Number(process.env.BENCH_PASSES ?? 3);

interface Services {
  config: Config;
  mongo: MongoConnection;
  redis: RedisClient;
  stores: Stores;
}

async function campaignWithWinners(
  { config, mongo, redis, stores }: Services,
  winners: number,
  created: string[],
): Promise<string> {
  const campaignId = `reconcile-cost-${winners}-${Date.now()}`;
  created.push(campaignId); // cleaned up even if filling it fails part-way
  const now = new Date();
  const { campaign } = await saveCampaignUseCase(stores, redis, config, silentLogger).execute(
    campaignId,
    { limit: winners, startsAt: now, endsAt: null },
    { actor: 'bench', mode: 'create' },
  );
  const counter = new RedisSlotCounter(redis, config.redis.keyPrefix);
  for (let start = 0; start < winners; start += 1_000) {
    const batch = Array.from({ length: Math.min(1_000, winners - start) }, (_, i) => `user-${start + i}`);
    const claims = await Promise.all(batch.map((userId) => counter.claim(campaignId, userId)));
    const records = batch.map((userId, i) => {
      const claim = claims[i];
      if (claim?.kind !== 'won') throw new Error(`claim for ${userId} answered ${claim?.kind ?? 'nothing'}`);
      return { campaignId, userId, slot: claim.slot, voucherCode: voucherCodeFor(campaignId, userId), createdAt: now };
    });
    await mongo.db.collection(COLLECTIONS.winners).insertMany(records);
    await mongo.db
      .collection(COLLECTIONS.vouchers)
      .insertMany(records.map(({ userId, voucherCode }) => voucherFor(campaign, userId, voucherCode, now, now)));
    process.stderr.write(`\r  ${campaignId}: ${start + batch.length}/${winners} winners written`);
  }
  process.stderr.write('\n');
  return campaignId;
}

/**
 * What an operator would do afterwards: end the campaign, then reset it (its records and counter go; the
 * ended campaign's definition stays, as after any reset).
 */
async function remove({ config, redis, stores }: Services, campaignId: string): Promise<void> {
  await saveCampaignUseCase(stores, redis, config, silentLogger).execute(
    campaignId,
    { endsAt: new Date() },
    { actor: 'bench', mode: 'update' },
  );
  await resetCampaignUseCase(stores, redis, config, silentLogger).execute(campaignId, 'bench');
}

async function main(): Promise<void> {
  const config = loadConfig();
  const mongo = await connectDatabase(config, 'bench-reconcile', { operationTimeoutMs: 120_000 });
  const redis = createApiRedis(config.redis, { connectionName: 'bench-reconcile', commandTimeoutMs: 30_000 });
  const queues = createQueues(redis, config, silentLogger);
  const services: Services = { config, mongo, redis, stores: createStores(mongo) };
  const created: string[] = [];
  try {
    await waitForRedis(redis);
    const reconcile = reconcileUseCase(services.stores, redis, queues, config, silentLogger);
    const results = [];
    for (const winners of sizes) {
      const campaignId = await campaignWithWinners(services, winners, created);
      const timings: number[] = [];
      for (let pass = 0; pass < passes; pass += 1) {
        const started = process.hrtime.bigint();
        const report = await reconcile.execute(campaignId);
        timings.push(Number(process.hrtime.bigint() - started) / 1e6);
        if (report.winners !== winners) throw new Error(`reconcile saw ${report.winners} winners, not ${winners}`);
        if (hasDrift(report))
          throw new Error(`reconcile found something to fix in ${campaignId}: not a steady-state pass`);
      }
      results.push({ winners, bestMs: Math.min(...timings), timings });
    }
    const [small, large] = [results[0], results.at(-1)];
    const perWinnerMs =
      small && large && large.winners > small.winners
        ? (large.bestMs - small.bestMs) / (large.winners - small.winners)
        : NaN;
    process.stdout.write(`${JSON.stringify({ results, passes, perWinnerMs })}\n`);
  } finally {
    for (const campaignId of created) {
      await remove(services, campaignId).catch((error: unknown) =>
        process.stderr.write(`cleanup of ${campaignId} failed: ${String(error)}\n`),
      );
    }
    await queues.close();
    redis.disconnect();
    await mongo.client.close();
  }
}

runCli(main);
