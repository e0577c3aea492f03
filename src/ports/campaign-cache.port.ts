import type { Campaign } from '../domain/campaign';

/** Campaign definitions this process holds in memory. */
export interface CampaignCache {
  /**
   * The campaign as cached, when a fresh copy is held (null: cached as not existing); undefined when only
   * a read would tell. Never reads, never waits.
   */
  peek(id: string): Campaign | null | undefined;
}

/** Nothing cached: every login reads its campaign. */
export const noCampaignCache: CampaignCache = { peek: () => undefined };
