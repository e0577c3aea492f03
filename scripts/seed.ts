import { z } from 'zod';

import { createApiRedis, waitForRedis } from '../src/adapters/redis/connection';
import { RegisterUsers } from '../src/application/register-users.use-case';
import { CAMPAIGN_ID_PATTERN, isRunningAt } from '../src/domain/campaign';
import { connectDatabase, createStores, passwordHasher, saveCampaignUseCase } from '../src/compose/common';
import { loadConfig, type Config } from '../src/config';
import { AppError } from '../src/errors';
import { silentLogger } from '../src/adapters/silent-logger';
import { parseCli, progress, runCli } from './lib/cli';

export const DEMO_PASSWORD = 'promo-demo-password';

const HELP = `usage: npm run seed -- --campaign <id> --limit <n> --users <count> [--password <pw>] [--prefix user]
       node dist/scripts/seed.js ...   (in the image, or after npm run build)

Creates or updates a campaign (running from now) and the accounts <prefix>1..<prefix><count>, all with
the same password. Safe to run twice: accounts keep their ids, and the campaign's counter is never
lowered (a --limit below the slots already handed out is refused).

  --campaign   campaign id (letters, digits, . _ -)            required
  --limit      number of vouchers (slots)                      default 100
  --users      number of accounts to create                    default 0
  --password   password of every seeded account                default ${DEMO_PASSWORD}
  --prefix     account name prefix                             default user
  --discount   voucher discount in percent                     default 30 (kept when updating)

Configuration comes from the environment (MONGO_URL, REDIS_URL, ...; see .env.example).`;

const argsSchema = z.object({
  campaign: z.string().regex(CAMPAIGN_ID_PATTERN, 'letters, digits, ".", "_" or "-", at most 64'),
  limit: z.coerce.number().int().min(1).default(100),
  users: z.coerce.number().int().min(0).max(1_000_000).default(0),
  password: z.string().min(1).max(256).default(DEMO_PASSWORD),
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9._@+-]{1,64}$/)
    .default('user'),
  discount: z.coerce.number().int().min(0).max(100).optional(),
});
export type SeedOptions = z.infer<typeof argsSchema>;

/** Seeds a campaign and its accounts; returns a one-line summary. Used by this CLI and `npm run dev`. */
export async function seed(
  options: SeedOptions,
  config: Config,
  onProgress?: (done: number, total: number) => void,
): Promise<string> {
  const mongo = await connectDatabase(config, 'promotion-seed', { operationTimeoutMs: 60_000 });
  const redis = createApiRedis(config.redis, { connectionName: 'promotion-seed', commandTimeoutMs: 10_000 });
  try {
    await waitForRedis(redis);
    const stores = createStores(mongo);
    const now = new Date();
    const existing = await stores.campaigns.findById(options.campaign);
    const reopen = existing === null || !isRunningAt(existing, now);
    const saved = await saveCampaignUseCase(stores, redis, config, silentLogger).execute(
      options.campaign,
      {
        limit: options.limit,
        discount: options.discount,
        ...(reopen ? { startsAt: now, endsAt: null } : {}),
      },
      { actor: 'seed-script', mode: 'upsert' },
    );
    const accounts = Array.from({ length: options.users }, (_, i) => ({
      account: `${options.prefix}${i + 1}`,
      password: options.password,
    }));
    const created = await new RegisterUsers(stores.users, passwordHasher(config)).execute(accounts, { onProgress });
    const counter = saved.counter === null ? 'missing (run npm run reconcile)' : String(saved.counter);
    return (
      `campaign ${options.campaign}: ${saved.created ? 'created' : 'updated'}, limit ${saved.campaign.limit}, ` +
      `counter ${counter}; accounts: ${created} created, ${options.users - created} updated`
    );
  } finally {
    redis.disconnect();
    await mongo.client.close();
  }
}

if (require.main === module) {
  runCli(async () => {
    const options = parseCli(
      process.argv.slice(2),
      {
        campaign: { type: 'string' },
        limit: { type: 'string' },
        users: { type: 'string' },
        password: { type: 'string' },
        prefix: { type: 'string' },
        discount: { type: 'string' },
      },
      argsSchema,
      HELP,
    );
    if (options === null) return;
    try {
      console.log(await seed(options, loadConfig(), progress('accounts')));
    } catch (error) {
      if (error instanceof AppError && error.code === 'CAMPAIGN_LIMIT_BELOW_COUNTER') {
        throw new Error(`${error.message} (limit ${options.limit}, counter ${String(error.details?.counter)})`, {
          cause: error,
        });
      }
      throw error;
    }
  });
}
