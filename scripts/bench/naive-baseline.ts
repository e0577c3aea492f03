import { createSecretKey } from 'node:crypto';

import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { jwtVerify } from 'jose';
import Koa from 'koa';
import { MongoClient, MongoServerError } from 'mongodb';

import { inProcesses } from './in-processes';

/**
 * Row 3's baseline: the seed's design done naively, as peers do, for the benchmark only. Everything
 * happens inside the request, synchronously: first-login check (insert), a COUNT of the winners against
 * the limit, then the winner and voucher writes. No Redis counter, no queue, no unique slot: under a burst
 * the count check races, so it may hand out more than the limit (the benchmark reports how many).
 */
const port = Number(process.env.BENCH_PORT ?? 3901);
const limit = Number(process.env.BENCH_LIMIT ?? 100);
const secret = createSecretKey(Buffer.from(process.env.JWT_SECRET ?? '', 'utf8'));

async function serve(): Promise<void> {
  const client = await new MongoClient(process.env.MONGO_URL ?? '', { maxPoolSize: 50 }).connect();
  const db = client.db();
  const logins = db.collection('campaign_logins');
  const winners = db.collection('winners');
  const vouchers = db.collection('vouchers');
  const app = new Koa();
  const router = new Router();
  router.post('/api/login-campaign', async (ctx) => {
    const token = (ctx.get('authorization') || '').replace(/^Bearer /, '');
    const { payload } = await jwtVerify(token, secret, { algorithms: ['HS256'] });
    const userId = String(payload.sub);
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
    if ((await winners.countDocuments({ campaignId })) >= limit) {
      ctx.body = { status: false, errorCode: 'CAMPAIGN_FULL' };
      return;
    }
    await winners.insertOne({ campaignId, userId, createdAt: new Date() });
    await vouchers.insertOne({ campaignId, userId, discount: 30, createdAt: new Date() });
    ctx.body = { status: true, errorCode: null };
  });
  app.use(bodyParser({ enableTypes: ['json'] }));
  app.use(router.routes());
  app.listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
}

inProcesses(serve);
