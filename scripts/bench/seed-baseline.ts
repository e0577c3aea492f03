import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { Redis } from 'ioredis';
import Koa from 'koa';
import { MongoClient, MongoServerError } from 'mongodb';

import { inProcesses } from './in-processes';

/**
 * Row 3's baseline: the seed's design (shared/seed/promotion-system.md) as written, for the benchmark
 * only. Everything happens inside the request, in the seed's order:
 *   1. insert the login into campaign_logins, unique on (campaignId, userId): a duplicate is not a first login;
 *   2. INCR the Redis counter campaign_counter_<campaignId>;
 *   3. insert the voucher when the count is within the limit.
 * Like the seed it authenticates nobody: the user is the `sub` of the bearer token, read, not verified.
 * It is exact on a clean run; when Redis loses its data the counter starts again at 1 and it hands out
 * the limit a second time (the seed's own "cons" section says so). The benchmark reports both.
 */
const port = Number(process.env.BENCH_PORT ?? 3901);
const limit = Number(process.env.BENCH_LIMIT ?? 100);

/** The token's subject, unverified (the seed has no authentication to speak of). */
function userOf(authorization: string): string {
  const payload = authorization.replace(/^Bearer /, '').split('.')[1] ?? '';
  return String((JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown }).sub);
}

async function serve(): Promise<void> {
  const client = await new MongoClient(process.env.MONGO_URL ?? '', { maxPoolSize: 50 }).connect();
  const db = client.db();
  const logins = db.collection('campaign_logins');
  const vouchers = db.collection('vouchers');
  await logins.createIndex({ campaignId: 1, userId: 1 }, { unique: true, name: 'campaign_idx' });
  await vouchers.createIndex({ userId: 1 }, { name: 'voucher_idx' });
  const redis = new Redis(process.env.REDIS_URL ?? '');
  const app = new Koa();
  const router = new Router();
  router.post('/api/login-campaign', async (ctx) => {
    const userId = userOf(ctx.get('authorization'));
    const campaignId = String((ctx.request.body as { campaignId?: string }).campaignId);
    try {
      await logins.insertOne({ campaignId, userId, createdAt: new Date() });
    } catch (error) {
      if (error instanceof MongoServerError && error.code === 11000) {
        ctx.body = { status: false, errorCode: 'ALREADY_PARTICIPATED' };
        return;
      }
      throw error;
    }
    const count = await redis.incr(`campaign_counter_${campaignId}`);
    if (count > limit) {
      ctx.body = { status: false, errorCode: 'CAMPAIGN_FULL' };
      return;
    }
    await vouchers.insertOne({
      campaignId,
      userId,
      discount: 30,
      description: '30% off a mobile top-up paid by bank transfer',
      voucherType: 'MOBILE_TOPUP_BANK_TRANSFER',
      createdAt: new Date(),
    });
    ctx.body = { status: true, errorCode: null };
  });
  app.use(bodyParser({ enableTypes: ['json'] }));
  app.use(router.routes());
  app.listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
}

inProcesses(serve);
