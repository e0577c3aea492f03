import type { Collection, Db } from 'mongodb';

import type { ParticipationStore } from '../../ports/participation-store.port';
import { COLLECTIONS } from './collections';
import { insertedDespiteDuplicates, isDuplicateKey } from './duplicate-key';

interface CampaignLoginDocument {
  campaignId: string;
  userId: string;
  createdAt: Date;
}

/** When a campaign's participations were last deleted (a reset). */
interface ParticipationResetDocument {
  _id: string;
  at: Date;
}

/** The seed's CampaignLogin table, guarded by its unique (campaignId, userId) index. */
export class MongoParticipationStore implements ParticipationStore {
  private readonly collection: Collection<CampaignLoginDocument>;
  private readonly resets: Collection<ParticipationResetDocument>;

  constructor(db: Db) {
    this.collection = db.collection<CampaignLoginDocument>(COLLECTIONS.campaignLogins);
    this.resets = db.collection<ParticipationResetDocument>(COLLECTIONS.participationResets);
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

  /**
   * Entries made before their campaign's last reset are left out. A reset that lands between that check
   * and the insert is caught by a second look afterwards, which deletes what the batch brought back (the
   * reset writes its time before it deletes, so one of the two looks always sees it). A batch that meets
   * entries older than a reset also deletes the campaign's rows older than it: an earlier try of the same
   * batch, reported as timed out, may still have completed after the reset.
   */
  async recordMany(entries: readonly { campaignId: string; userId: string; at: Date }[]): Promise<number> {
    const campaignIds = [...new Set(entries.map((entry) => entry.campaignId))];
    const resetBefore = await this.resetTimes(campaignIds);
    const stale = new Set<string>();
    const documents = entries
      .filter(({ campaignId, at }) => {
        const kept = at.getTime() >= (resetBefore.get(campaignId) ?? 0);
        if (!kept) stale.add(campaignId);
        return kept;
      })
      .map(({ campaignId, userId, at }) => ({ campaignId, userId, createdAt: at }));
    for (const campaignId of stale) await this.deleteRecordedBefore(campaignId, resetBefore.get(campaignId) ?? 0);
    if (documents.length === 0) return 0;
    let created: number;
    try {
      created = (await this.collection.insertMany(documents, { ordered: false })).insertedCount;
    } catch (error) {
      created = insertedDespiteDuplicates(error, documents.length);
    }
    for (const [campaignId, at] of await this.resetTimes(campaignIds)) {
      if (at > (resetBefore.get(campaignId) ?? 0)) await this.deleteRecordedBefore(campaignId, at);
    }
    return created;
  }

  private async deleteRecordedBefore(campaignId: string, resetAtMs: number): Promise<void> {
    await this.collection.deleteMany({ campaignId, createdAt: { $lt: new Date(resetAtMs) } });
  }

  async count(campaignId: string): Promise<number> {
    return this.collection.countDocuments({ campaignId });
  }

  async deleteCampaign(campaignId: string, at: Date): Promise<number> {
    await this.resets.updateOne({ _id: campaignId }, { $max: { at } }, { upsert: true });
    return (await this.collection.deleteMany({ campaignId })).deletedCount;
  }

  /** Each campaign's last reset, in ms since the epoch (campaigns never reset are absent). */
  private async resetTimes(campaignIds: string[]): Promise<Map<string, number>> {
    const found = await this.resets.find({ _id: { $in: campaignIds } }).toArray();
    return new Map(found.map((reset) => [reset._id, reset.at.getTime()]));
  }
}
