import type { Campaign } from '../../domain/campaign';
import { isOfEndedRun, isWinningSlot, type Winner } from '../../domain/slot';
import type { Clock } from '../../ports/clock.port';
import type { VoucherStore } from '../../ports/voucher-store.port';
import type { WinnerStore } from '../../ports/winner-store.port';

/**
 * What became of a winner record checked against the campaign as read after its insert:
 * - `stands`: within the limit in force, and settled (by this reader or one before it);
 * - `removed`: above the limit in force (lowered between the claim's read and its insert, which a counter
 *   that lost its held slots to a Redis reset lets through), and still pending, so removed here, with any
 *   voucher written for it; its slot is the caller's to give up;
 * - `gone`: another reader removed it first;
 * - `ended_run`: a reset ended its run meanwhile; removed here.
 */
export type Settlement = 'stands' | 'removed' | 'gone' | 'ended_run';

export interface SettleDeps {
  winners: Pick<WinnerStore, 'settle' | 'removePending' | 'deleteOfRun'>;
  vouchers: Pick<VoucherStore, 'deleteOne'>;
  clock: Clock;
}

/**
 * Decides a winner record against `current`, the campaign read after the record was inserted. Every reader
 * of a pending record decides it this way (the claim that wrote it, another login of the same user, a
 * limit change, reconciliation) and only then tells anyone: the store's conditional settle or delete lets
 * exactly one decision land, so nobody is told "won" for a record another reader removes. A reader that
 * read the campaign before a lower limit was stored may settle a record above it; the limit change reads
 * the winners after storing, finds it settled and puts the limit back (`SaveCampaign`).
 */
export async function settleWinner(deps: SettleDeps, winner: Winner, current: Campaign | null): Promise<Settlement> {
  const { campaignId, userId, run, slot } = winner;
  if (current !== null && isOfEndedRun(winner, current)) {
    await deps.winners.deleteOfRun(campaignId, userId, run);
    return 'ended_run';
  }
  if (winner.pending !== true) return 'stands';
  if (current === null || isWinningSlot(slot, current.limit)) {
    return (await deps.winners.settle(winner)) ? 'stands' : 'gone';
  }
  if (await deps.winners.removePending(winner)) {
    // A voucher written by then goes too; one written after finds the record gone and removes itself.
    await deps.vouchers.deleteOne(campaignId, userId, { writtenNoLaterThan: deps.clock.now() });
    return 'removed';
  }
  // Settled by another reader first, unless the user's record now is another one (won again since).
  return (await deps.winners.settle(winner)) ? 'stands' : 'gone';
}
