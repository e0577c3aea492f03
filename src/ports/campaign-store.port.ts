import type { Campaign } from '../domain/campaign';

/** Campaign definitions. */
export interface CampaignStore {
  /** The campaign, or null when no campaign has this id. */
  findById(id: string): Promise<Campaign | null>;

  /** Campaigns whose window contains `now` (paused ones included). */
  listRunning(now: Date): Promise<Campaign[]>;

  /** Every campaign, newest first. */
  list(): Promise<Campaign[]>;

  /**
   * Store the campaign only if the stored one is still at `expectedVersion` (null: only if there is none
   * yet), so of two concurrent changes one wins and the other learns it lost. Answers `conflict` when the
   * stored version is another (nothing is written then).
   */
  save(campaign: Campaign, expectedVersion: number | null): Promise<'saved' | 'conflict'>;
}
