/** Records that a user logged in to a campaign (the seed's CampaignLogin table). */
export interface ParticipationStore {
  /**
   * Record the user's login once. Answers `first` for the first login, `repeat` when it was already
   * recorded (a duplicate is not an error).
   */
  record(campaignId: string, userId: string, at: Date): Promise<'first' | 'repeat'>;

  /** Record many logins in one round trip, ignoring those already recorded. Returns how many were new. */
  recordMany(entries: readonly { campaignId: string; userId: string; at: Date }[]): Promise<number>;

  /** How many users took part in the campaign. */
  count(campaignId: string): Promise<number>;

  /** Deletes every participation in the campaign (only for an explicit reset); returns how many. */
  deleteCampaign(campaignId: string): Promise<number>;
}
