import type Router from '@koa/router';

import type { LoginToCampaign, LoginToCampaignInput } from '../../../application/login-to-campaign.use-case';
import type { CampaignResult } from '../../../domain/login-outcome';
import { ERROR_CODES } from '../../../errors';
import { withinDeadline, type Deadline } from '../deadline';
import { validate } from '../json-body';
import { bearerToken } from '../credentials';
import { loginRequestSchema, tokenLoginRequestSchema } from '../schemas';

/**
 * POST /api/login-campaign {account, password, campaignId?}, or with `Authorization: Bearer <JWT>` just
 * {campaignId?}.
 * 200 for every decided outcome (status says whether the user holds a voucher); 503 + Retry-After when
 * no campaign could be decided and at least one claim could not be, or when the deadline passed first.
 */
export function loginRoute(
  router: Router,
  login: LoginToCampaign,
  retryAfterSeconds: number,
  deadline: Deadline,
  onClaims: (results: readonly CampaignResult[]) => void,
): void {
  router.post('/api/login-campaign', async (ctx) => {
    const token = bearerToken(ctx.get('authorization') || undefined);
    let input: LoginToCampaignInput;
    if (token === null) {
      const { account, password, campaignId } = validate(loginRequestSchema, ctx.request.body);
      input = {
        credentials: { kind: 'password', account, password },
        campaignId,
        clientIp: ctx.state.clientIp as string,
      };
    } else {
      const { campaignId } = validate(tokenLoginRequestSchema, ctx.request.body);
      input = { credentials: { kind: 'token', token }, campaignId, clientIp: ctx.state.clientIp as string };
    }
    const result = await withinDeadline(login.execute(input), deadline, 'login');
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
