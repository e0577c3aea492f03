import type { Campaign } from '../domain/campaign';

/** Campaign definitions. */
export interface CampaignStore {
  /** The campaign, or null when no campaign has this id. */
  findById(id: string): Promise<Campaign | null>;

  /** Campaigns whose window contains `now` (paused ones included). */
  listRunning(now: Date): Promise<Campaign[]>;

  /** Every campaign, newest first. */
  list(): Promise<Campaign[]>;

  /** Create or replace the campaign with this id. */
  save(campaign: Campaign): Promise<void>;
}
