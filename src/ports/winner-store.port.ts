import type { Winner } from '../domain/slot';

/** What names one winner record: a user may win again (another slot, another time) once a record is removed. */
export type WinnerRecordKey = Pick<Winner, 'campaignId' | 'userId' | 'run' | 'slot' | 'createdAt'>;

export type RecordWinnerResult =
  | { kind: 'recorded' }
  /** The user already won this campaign; `winner` is the stored record (its slot is the true one). */
  | { kind: 'user_already_won'; winner: Winner }
  /** Another user holds this slot: the counter handed it out twice (it went backwards). */
  | { kind: 'slot_taken' };

/**
 * The durable list of winners: the authority on who won. Unique on (campaign, user) and on
 * (campaign, slot), so no campaign can ever hold more winners than slots.
 */
export interface WinnerStore {
  /** Insert (never upsert) a winner; the unique indexes decide. */
  record(winner: Winner): Promise<RecordWinnerResult>;

  /** The user's winner record in a campaign, or null. */
  find(campaignId: string, userId: string): Promise<Winner | null>;

  /** Every winner of the campaign (for reconciliation; at most `limit` records). */
  listByCampaign(campaignId: string): Promise<Winner[]>;

  /** The campaign's winners by slot, in batches, for exports of any size. */
  streamByCampaign(campaignId: string, batchSize: number): AsyncIterable<Winner[]>;

  /** Every campaign the user won, newest first. */
  listByUser(userId: string): Promise<Winner[]>;

  /** The highest slot recorded for the campaign, 0 when none. */
  maxSlot(campaignId: string): Promise<number>;

  /** How many winners the campaign has. */
  count(campaignId: string): Promise<number>;

  /**
   * Deletes the user's winner record only if it was recorded in `run` (a record of an ended run, found
   * after the reset that ended it); returns whether one was deleted.
   */
  deleteOfRun(campaignId: string, userId: string, run: number): Promise<boolean>;

  /**
   * Marks this very record (campaign, user, run, slot and createdAt) settled while it is pending. True when
   * it stands settled (now or already), false when it is gone (another reader removed it; a record the
   * user won since, in another slot or at another time, is not this one).
   */
  settle(record: WinnerRecordKey): Promise<boolean>;

  /** Deletes this very record only while it is still pending; returns whether one was deleted. */
  removePending(record: WinnerRecordKey): Promise<boolean>;

  /** Deletes every winner of the campaign (only for an explicit reset); returns how many. */
  deleteCampaign(campaignId: string): Promise<number>;
}
