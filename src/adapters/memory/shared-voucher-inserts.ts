import type { Voucher } from '../../domain/voucher';
import type { VoucherStore } from '../../ports/voucher-store.port';
import { SharedRounds } from './shared-rounds';

/**
 * The voucher inserts of the jobs a worker runs at once, shared per campaign (SharedRounds): one unordered
 * `insertMany` per round for every insert made meanwhile, each begun after its call, as an insert of its
 * own would be, and each told its own outcome (`created`, or `exists` where a voucher for that user stood
 * before the round or came first in it). A round the database refuses otherwise fails every insert in it,
 * and each job is tried again (the job is idempotent). The rest of the store is the store's own. The jobs'
 * winner reads stay reads of their own, by equality: one read of many users is an `$in`, which not every
 * MongoDB-wire server answers from the index (FerretDB 1.24 filters it over all the campaign's winners).
 */
export function sharedVoucherInserts(store: VoucherStore): Pick<VoucherStore, 'insert' | 'findForUsers' | 'deleteOne'> {
  const rounds = new SharedRounds<Voucher, 'created' | 'exists'>((_campaignId, vouchers) => store.insertMany(vouchers));
  return {
    insert: (voucher) => rounds.call(voucher.campaignId, voucher),
    findForUsers: (campaignId, userIds) => store.findForUsers(campaignId, userIds),
    deleteOne: (campaignId, userId, only) => store.deleteOne(campaignId, userId, only),
  };
}
