import { z } from 'zod';

import { createApiRedis, waitForRedis } from '../src/adapters/redis/connection';
import { connectDatabase, createStores, resetCampaignUseCase } from '../src/compose/common';
import { loadConfig } from '../src/config';
import { CAMPAIGN_ID_PATTERN } from '../src/domain/campaign';
import { createLogger } from '../src/logger';
import { parseCli, runCli, UsageError } from './lib/cli';

const HELP = `usage: npm run reset-campaign -- --campaign <id> --yes
       node dist/scripts/reset-campaign.js ...   (in the image, or after npm run build)

Deletes a campaign's winners, vouchers and participations and sets its counter back to 0, so it can run
again from slot 1 (for rehearsals). Refused while the campaign is running; --yes confirms you mean it.
Configuration comes from the environment (MONGO_URL, REDIS_URL, ...).`;

const argsSchema = z.object({
  campaign: z.string().regex(CAMPAIGN_ID_PATTERN, 'letters, digits, ".", "_" or "-", at most 64'),
  yes: z.boolean().default(false),
});

runCli(async () => {
  const args = parseCli(
    process.argv.slice(2),
    { campaign: { type: 'string' }, yes: { type: 'boolean' } },
    argsSchema,
    HELP,
  );
  if (args === null) return;
  if (!args.yes)
    throw new UsageError(`refusing to delete campaign ${args.campaign}'s results without --yes\n\n${HELP}`);
  const config = loadConfig();
  const mongo = await connectDatabase(config, 'promotion-reset', { operationTimeoutMs: 60_000 });
  const redis = createApiRedis(config.redis, { connectionName: 'promotion-reset', commandTimeoutMs: 10_000 });
  try {
    await waitForRedis(redis);
    const reset = resetCampaignUseCase(createStores(mongo), redis, config, createLogger('silent', 'reset'));
    const result = await reset.execute(args.campaign, 'reset-script');
    console.log(
      `campaign ${args.campaign} reset: ${result.winners} winners, ${result.vouchers} vouchers, ` +
        `${result.participations} participations deleted; counter 0`,
    );
  } finally {
    redis.disconnect();
    await mongo.client.close();
  }
});
