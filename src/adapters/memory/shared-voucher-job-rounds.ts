import type { Winner } from '../../domain/slot';
import type { Voucher } from '../../domain/voucher';
import type { VoucherStore } from '../../ports/voucher-store.port';
import type { WinnerStore } from '../../ports/winner-store.port';
import { SharedRounds } from './shared-rounds';

/**
 * The winner reads of the voucher jobs a worker runs at once, shared per campaign (SharedRounds): one
 * `findForUsers` per round for every user asked meanwhile, each call answered by a read that began after
 * it, as a read of its own would be. Each caller gets its own copy of the record.
 */
export function sharedWinnerReads(store: WinnerStore): Pick<WinnerStore, 'find'> {
  const rounds = new SharedRounds<string, Winner | null>(async (campaignId, userIds) => {
    const found = await store.findForUsers(campaignId, [...new Set(userIds)]);
    const byUser = new Map(found.map((winner) => [winner.userId, winner]));
    return userIds.map((userId) => {
      const winner = byUser.get(userId);
      return winner === undefined ? null : { ...winner };
    });
  });
  return { find: (campaignId, userId) => rounds.call(campaignId, userId) };
}

/**
 * The voucher inserts of the jobs a worker runs at once, shared per campaign: one unordered `insertMany`
 * per round, each insert told its own outcome (`created`, or `exists` where a voucher for that user stood
 * before the round or came first in it). A round the database refuses otherwise fails every insert in it,
 * and each job is tried again (the job is idempotent). The rest of the store is the store's own.
 */
export function sharedVoucherInserts(store: VoucherStore): Pick<VoucherStore, 'insert' | 'findForUsers' | 'deleteOne'> {
  const rounds = new SharedRounds<Voucher, 'created' | 'exists'>((_campaignId, vouchers) => store.insertMany(vouchers));
  return {
    insert: (voucher) => rounds.call(voucher.campaignId, voucher),
    findForUsers: (campaignId, userIds) => store.findForUsers(campaignId, userIds),
    deleteOne: (campaignId, userId, onlyExpiring) => store.deleteOne(campaignId, userId, onlyExpiring),
  };
}
