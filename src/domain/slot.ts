/**
 * What the slot counter answers for one (campaign, user). The counter is the fast path; the winners
 * record in the database is the authority (see Winner).
 */
export type SlotClaim =
  /** A fresh slot was handed to this user just now, under the settings of `version`. */
  | { kind: 'won'; slot: number; limit: number; version: number }
  /** The user already held this slot (a repeated or interrupted login). */
  | { kind: 'held'; slot: number; limit: number; version: number }
  /** Nothing left. `stateVersion`, when given, is the version of the counter's state this was seen at. */
  | { kind: 'full'; limit: number; stateVersion?: number }
  | { kind: 'paused'; limit: number }
  /** Outside the campaign's time window, by the counter's clock. */
  | { kind: 'not_active' }
  /**
   * The counter cannot be trusted: it or the campaign's settings are missing (Redis lost its data).
   * Claims stay closed until the campaign is rebuilt from the database.
   */
  | { kind: 'not_ready'; reason: 'counter_missing' | 'campaign_missing' };

export interface Winner {
  campaignId: string;
  userId: string;
  /** 1..limit, unique per campaign in the database. */
  slot: number;
  voucherCode: string;
  createdAt: Date;
  /** The campaign's run it was claimed in (Campaign.run); records from before runs existed read as 0. */
  run: number;
  /**
   * Recorded, not yet decided: the claim that wrote it has not read the campaign again since its insert
   * (a limit lowered meanwhile removes it). Nobody is told it won until a reader settles it, and only a
   * pending record is removed that way; the store's conditional update or delete decides which comes
   * first (`settleWinner`). Absent on settled records.
   */
  pending?: true;
}

/** A winner recorded in a run that a reset has since ended: it won nothing in the campaign as it is now. */
export function isOfEndedRun(winner: Pick<Winner, 'run'>, campaign: { run: number }): boolean {
  return winner.run < campaign.run;
}

/** A slot can only become a winner when it lies within the campaign's limit. */
export function isWinningSlot(slot: number, limit: number): boolean {
  return Number.isInteger(slot) && slot >= 1 && slot <= limit;
}
