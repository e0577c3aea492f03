import type { Voucher } from '../domain/voucher';

/** Issued vouchers; at most one per (campaign, user). */
export interface VoucherStore {
  /** Insert the voucher; `exists` when that user already has this campaign's voucher (not an error). */
  insert(voucher: Voucher): Promise<'created' | 'exists'>;

  /**
   * Inserts the vouchers in one round trip, each as insert() would: the outcome of each, in their order
   * (a second voucher for the same campaign and user, in the batch or before it, is `exists`). Any other
   * refusal fails the whole call, though some of the vouchers may have been written.
   */
  insertMany(vouchers: readonly Voucher[]): Promise<('created' | 'exists')[]>;

  /** Every voucher of the user. */
  listByUser(userId: string): Promise<Voucher[]>;

  /** The vouchers these users hold in the campaign. */
  findForUsers(campaignId: string, userIds: readonly string[]): Promise<Voucher[]>;

  /**
   * The users of the campaign who hold a voucher, each with its expiry (for reconciliation: which winners
   * have theirs, and which voucher stands without a winner, told apart from a later run's by its expiry).
   */
  heldByCampaign(campaignId: string): Promise<Map<string, Date>>;

  /** How many vouchers the campaign has issued. */
  count(campaignId: string): Promise<number>;

  /**
   * Deletes the user's voucher of the campaign (one issued for a winner deleted meanwhile); whether one was.
   * `only` narrows it to a voucher that cannot be a later run's for the same user:
   * - `expireDate`: only a voucher expiring at that moment, the one a job wrote for the record it was told
   *   from (the expiry follows the time won);
   * - `writtenNoLaterThan`: only a voucher written (its `createdAt`) at or before that moment, the moment
   *   the caller read that the user had no winner (or one of an ended run): a later run's voucher is written
   *   after its winner, which came after that read.
   */
  deleteOne(campaignId: string, userId: string, only?: VoucherMatch): Promise<boolean>;

  /** Deletes every voucher of the campaign (only for an explicit reset); returns how many. */
  deleteCampaign(campaignId: string): Promise<number>;
}

/** Which of a user's vouchers a delete may remove (both when both are given). */
export interface VoucherMatch {
  expireDate?: Date;
  writtenNoLaterThan?: Date;
}
