import { startFerretDb } from '/work/main/scripts/lib/local-services';
import { MongoClient } from 'mongodb';
(async () => {
  for (const handler of ['sqlite', 'postgresql'] as const) {
    const f = await startFerretDb({ handler });
    const c = new MongoClient(f.url, { maxPoolSize: 50 }); await c.connect();
    const db = c.db('x' + Date.now());
    await db.collection('l').createIndexes([{ key: { campaignId: 1, userId: 1 }, unique: true, name: 'cu' }]);
    await db.collection('u').createIndexes([{ key: { account: 1 }, unique: true, name: 'a' }]);
    await db.collection('u').insertMany(Array.from({ length: 1000 }, (_, i) => ({ account: 'user' + i, h: 'x' })));
    let t = Date.now();
    await Promise.all(Array.from({ length: 1200 }, (_, i) => db.collection('u').findOne({ account: 'user' + (i % 1000) })));
    const reads = Date.now() - t; t = Date.now();
    await Promise.allSettled(Array.from({ length: 1200 }, (_, i) => db.collection('l').insertOne({ campaignId: 'c', userId: 'u' + (i % 1000) })));
    console.log(handler, 'reads 1200:', reads, 'ms; inserts 1200:', Date.now() - t, 'ms');
    await c.close(); await f.remove();
  }
})();
