import type { Db, IndexDescription } from 'mongodb';

/** Collection names and the indexes our promises rest on. */
export const COLLECTIONS = {
  campaigns: 'campaigns',
  campaignVersions: 'campaign_versions',
  users: 'users',
  campaignLogins: 'campaign_logins',
  participationResets: 'participation_resets',
  winners: 'winners',
  vouchers: 'vouchers',
  audit: 'audit_log',
} as const;

export const INDEXES: Record<keyof typeof COLLECTIONS, IndexDescription[]> = {
  campaigns: [],
  // One successor per version: of two changes made from the same version, one insert wins (a unique index,
  // atomic on every MongoDB-wire server), which makes saving a campaign a compare-and-set.
  campaignVersions: [{ key: { campaignId: 1, predecessor: 1 }, name: 'campaign_predecessor_unique', unique: true }],
  users: [{ key: { account: 1 }, name: 'account_unique', unique: true }],
  // The seed's campaign_idx: one participation per user and campaign.
  campaignLogins: [{ key: { campaignId: 1, userId: 1 }, name: 'campaign_user_unique', unique: true }],
  // One document per campaign (_id), the time its participations were last deleted.
  participationResets: [],
  // The final guard: a user wins a campaign at most once, and a slot has at most one winner. With slots
  // checked to lie in 1..limit before insert, no campaign can ever hold more than `limit` winners.
  winners: [
    { key: { campaignId: 1, userId: 1 }, name: 'campaign_user_unique', unique: true },
    { key: { campaignId: 1, slot: 1 }, name: 'campaign_slot_unique', unique: true },
    { key: { userId: 1 }, name: 'user' },
  ],
  // One voucher per winner, however often its job runs; the seed's voucher_idx on userId for listings.
  vouchers: [
    { key: { campaignId: 1, userId: 1 }, name: 'campaign_user_unique', unique: true },
    { key: { userId: 1 }, name: 'voucher_idx' },
  ],
  audit: [{ key: { campaignId: 1, at: -1 }, name: 'campaign_at' }],
};

/**
 * Creates the indexes (idempotent). Run at every start of the API, the workers and the scripts. One index
 * per command: FerretDB 1.24 drops the connection when a multi-index createIndexes names only existing ones.
 */
export async function ensureIndexes(db: Db): Promise<void> {
  for (const [name, indexes] of Object.entries(INDEXES) as [keyof typeof COLLECTIONS, IndexDescription[]][]) {
    for (const index of indexes) await db.collection(COLLECTIONS[name]).createIndexes([index]);
  }
}
