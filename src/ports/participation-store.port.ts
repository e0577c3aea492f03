/** Records that a user logged in to a campaign (the seed's CampaignLogin table). */
export interface ParticipationStore {
  /**
   * Record the user's login once. Answers `first` for the first login, `repeat` when it was already
   * recorded (a duplicate is not an error).
   */
  record(campaignId: string, userId: string, at: Date): Promise<'first' | 'repeat'>;

  /**
   * Record many logins in one round trip, ignoring those already recorded and those made before the
   * campaign's participations were last deleted: a batch written late (buffered while a reset ran) must not
   * bring back what the reset removed. Returns how many were new. Rejects when the store did not take them
   * all (nothing is known to be written then; a retry is safe).
   */
  recordMany(entries: readonly { campaignId: string; userId: string; at: Date }[]): Promise<number>;

  /** How many users took part in the campaign. */
  count(campaignId: string): Promise<number>;

  /**
   * Deletes every participation in the campaign (only for an explicit reset), and keeps `at` so that logins
   * made before it and written later are not recorded (recordMany); returns how many were deleted.
   */
  deleteCampaign(campaignId: string, at: Date): Promise<number>;
}
