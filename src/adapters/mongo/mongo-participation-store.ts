import type { Collection, Db } from 'mongodb';

import type { ParticipationStore } from '../../ports/participation-store.port';
import { COLLECTIONS } from './collections';
import { insertedDespiteDuplicates, isDuplicateKey } from './duplicate-key';

interface CampaignLoginDocument {
  campaignId: string;
  userId: string;
  createdAt: Date;
}

/** The seed's CampaignLogin table, guarded by its unique (campaignId, userId) index. */
export class MongoParticipationStore implements ParticipationStore {
  private readonly collection: Collection<CampaignLoginDocument>;

  constructor(db: Db) {
    this.collection = db.collection<CampaignLoginDocument>(COLLECTIONS.campaignLogins);
  }

  async record(campaignId: string, userId: string, at: Date): Promise<'first' | 'repeat'> {
    try {
      await this.collection.insertOne({ campaignId, userId, createdAt: at });
      return 'first';
    } catch (error) {
      if (isDuplicateKey(error)) return 'repeat';
      throw error;
    }
  }

  async recordMany(entries: readonly { campaignId: string; userId: string; at: Date }[]): Promise<number> {
    if (entries.length === 0) return 0;
    const documents = entries.map(({ campaignId, userId, at }) => ({ campaignId, userId, createdAt: at }));
    try {
      const result = await this.collection.insertMany(documents, { ordered: false });
      return result.insertedCount;
    } catch (error) {
      return insertedDespiteDuplicates(error);
    }
  }

  async count(campaignId: string): Promise<number> {
    return this.collection.countDocuments({ campaignId });
  }

  async deleteCampaign(campaignId: string): Promise<number> {
    return (await this.collection.deleteMany({ campaignId })).deletedCount;
  }
}
