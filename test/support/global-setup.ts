import { startFerretDb, startRedisServer, type LocalService } from '../../scripts/lib/local-services';

/**
 * Starts one redis-server and one FerretDB for the whole run, unless REDIS_URL / MONGO_URL point at
 * running ones. Test files isolate themselves by database name and key prefix (see test-env.ts), so they
 * share these servers without ever flushing them. Tests that break a service start their own.
 */
export default async function globalSetup(): Promise<void> {
  const started: LocalService[] = [];
  if (!process.env.REDIS_URL) {
    const redis = await startRedisServer();
    started.push(redis);
    process.env.TEST_REDIS_URL = redis.url;
  } else {
    process.env.TEST_REDIS_URL = process.env.REDIS_URL;
  }
  if (!process.env.MONGO_URL) {
    // Shared by every test file (two at a time): 50 connections; each fault rig's own instance takes 20.
    const ferret = await startFerretDb({ maxConnections: 50 });
    started.push(ferret);
    process.env.TEST_MONGO_URL = ferret.url;
  } else {
    process.env.TEST_MONGO_URL = process.env.MONGO_URL;
  }
  (globalThis as { __promoServices?: LocalService[] }).__promoServices = started;
}
