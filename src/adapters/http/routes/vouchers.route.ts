import type Router from '@koa/router';

import { orUnavailable } from '../../../application/dependency-call';
import type { IdentifyUser } from '../../../application/identify-user.use-case';
import type { ListVouchers } from '../../../application/list-vouchers.use-case';
import { headerCredentials } from '../credentials';

/**
 * GET /api/vouchers with the user's credentials (HTTP basic, or a bearer token): every voucher they won,
 * pending, issued or expired.
 */
export function vouchersRoute(router: Router, identify: IdentifyUser, listVouchers: ListVouchers): void {
  router.get('/api/vouchers', async (ctx) => {
    const credentials = headerCredentials(ctx.get('authorization') || undefined);
    const user = await orUnavailable(identify.execute(credentials, ctx.state.clientIp as string), 'authentication');
    const vouchers = await listVouchers.execute(user.userId);
    ctx.body = { status: true, errorCode: null, errorMessage: null, userId: user.userId, vouchers };
  });
}
