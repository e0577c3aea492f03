import type Router from '@koa/router';

import { orUnavailable } from '../../../application/support/dependency-call';
import type { IdentifyUser } from '../../../application/identify-user.use-case';
import type { ListVouchers } from '../../../application/list-vouchers.use-case';
import { headerCredentials } from '../credentials';
import { withinDeadline, type Deadline } from '../deadline';

/**
 * GET /api/vouchers with the user's credentials (HTTP basic, or a bearer token): every voucher they won,
 * pending, issued or expired.
 */
export function vouchersRoute(
  router: Router,
  identify: IdentifyUser,
  listVouchers: ListVouchers,
  deadline: Deadline,
): void {
  router.get('/api/vouchers', async (ctx) => {
    const credentials = headerCredentials(ctx.get('authorization') || undefined);
    const list = async () => {
      const user = await orUnavailable(identify.execute(credentials, ctx.state.clientIp as string), 'authentication');
      return { user, vouchers: await listVouchers.execute(user.userId) };
    };
    const { user, vouchers } = await withinDeadline(list(), deadline, 'voucher listing');
    ctx.body = { status: true, errorCode: null, errorMessage: null, userId: user.userId, vouchers };
  });
}
