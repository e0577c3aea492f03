import type Router from '@koa/router';

import type { AuthenticateUser } from '../../../application/authenticate-user.use-case';
import { orUnavailable } from '../../../application/dependency-call';
import type { ListVouchers } from '../../../application/list-vouchers.use-case';
import { basicCredentials } from '../credentials';

/** GET /api/vouchers with the user's credentials: every voucher they won, pending, issued or expired. */
export function vouchersRoute(router: Router, authenticate: AuthenticateUser, listVouchers: ListVouchers): void {
  router.get('/api/vouchers', async (ctx) => {
    const { account, password } = basicCredentials(ctx.get('authorization') || undefined);
    const user = await orUnavailable(authenticate.execute(account, password, ctx.ip), 'authentication');
    const vouchers = await listVouchers.execute(user.userId);
    ctx.body = { status: true, errorCode: null, errorMessage: null, userId: user.userId, vouchers };
  });
}
