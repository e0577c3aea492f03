import type Router from '@koa/router';

import type {
  LoginToCampaign,
  LoginToCampaignInput,
  LoginToCampaignResult,
} from '../../../application/login-to-campaign.use-case';
import type { CampaignResult } from '../../../domain/login-outcome';
import { ERROR_CODES } from '../../../errors';
import { withinDeadline, type Deadline } from '../deadline';
import { validate } from '../json-body';
import { bearerToken } from '../credentials';
import { loginRequestSchema, tokenLoginRequestSchema } from '../schemas';

export const LOGIN_PATH = '/api/login-campaign';

/**
 * The login's input from its Authorization header and parsed body: a bearer token and {campaignId?}, or
 * {account, password, campaignId?}. Throws INVALID_TOKEN or INVALID_REQUEST.
 */
export function loginInput(authorization: string | undefined, body: unknown, clientIp: string): LoginToCampaignInput {
  const token = bearerToken(authorization);
  if (token === null) {
    const { account, password, campaignId } = validate(loginRequestSchema, body);
    return { credentials: { kind: 'password', account, password }, campaignId, clientIp };
  }
  const { campaignId } = validate(tokenLoginRequestSchema, body);
  return { credentials: { kind: 'token', token }, campaignId, clientIp };
}

/** A decided login's answer: 200, or 503 (with Retry-After) when no campaign could be decided. */
export interface LoginAnswer {
  status: 200 | 503;
  retryAfterSeconds: number | undefined;
  body: {
    status: boolean;
    errorCode: LoginToCampaignResult['errorCode'];
    errorMessage: string | null;
    userId: string;
    campaigns: CampaignResult[];
  };
}

export function loginAnswer(result: LoginToCampaignResult, retryAfterSeconds: number): LoginAnswer {
  return {
    status: result.undecided ? 503 : 200,
    retryAfterSeconds: result.undecided ? retryAfterSeconds : undefined,
    body: {
      status: result.status,
      errorCode: result.errorCode,
      errorMessage: result.errorCode === null ? null : ERROR_CODES[result.errorCode],
      userId: result.userId,
      campaigns: result.campaigns,
    },
  };
}

/**
 * POST /api/login-campaign {account, password, campaignId?}, or with `Authorization: Bearer <JWT>` just
 * {campaignId?}.
 * 200 for every decided outcome (status says whether the user holds a voucher); 503 + Retry-After when
 * no campaign could be decided and at least one claim could not be, or when the deadline passed first.
 * Most logins never get here: the login fast lane (login-fast-lane.ts) answers them before Koa, with
 * the same functions.
 */
export function loginRoute(
  router: Router,
  login: LoginToCampaign,
  retryAfterSeconds: number,
  deadline: Deadline,
  onClaims: (results: readonly CampaignResult[]) => void,
): void {
  router.post(LOGIN_PATH, async (ctx) => {
    const input = loginInput(ctx.get('authorization') || undefined, ctx.request.body, ctx.state.clientIp as string);
    const result = await withinDeadline(login.execute(input), deadline, 'login');
    onClaims(result.campaigns);
    const answer = loginAnswer(result, retryAfterSeconds);
    ctx.status = answer.status;
    if (answer.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(answer.retryAfterSeconds));
    ctx.body = answer.body;
  });
}
