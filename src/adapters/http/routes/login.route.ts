import type Router from '@koa/router';

import type { LoginToCampaign } from '../../../application/login-to-campaign.use-case';
import type { CampaignResult } from '../../../domain/login-outcome';
import { ERROR_CODES } from '../../../errors';
import { validate } from '../json-body';
import { loginRequestSchema } from '../schemas';

/**
 * POST /api/login-campaign {account, password, campaignId?}
 * 200 for every decided outcome (status says whether the user holds a voucher); 503 + Retry-After when
 * no campaign could be decided and at least one claim could not be.
 */
export function loginRoute(
  router: Router,
  login: LoginToCampaign,
  retryAfterSeconds: number,
  onClaims: (results: readonly CampaignResult[]) => void,
): void {
  router.post('/api/login-campaign', async (ctx) => {
    const input = validate(loginRequestSchema, ctx.request.body);
    const result = await login.execute({ ...input, clientIp: ctx.ip });
    onClaims(result.campaigns);
    ctx.status = result.undecided ? 503 : 200;
    if (result.undecided) ctx.set('Retry-After', String(retryAfterSeconds));
    ctx.body = {
      status: result.status,
      errorCode: result.errorCode,
      errorMessage: result.errorCode === null ? null : ERROR_CODES[result.errorCode],
      userId: result.userId,
      campaigns: result.campaigns,
    };
  });
}
