import type { Collection, Db } from 'mongodb';

import type { Winner } from '../../domain/slot';
import type { RecordWinnerResult, WinnerStore } from '../../ports/winner-store.port';
import { COLLECTIONS } from './collections';
import { isDuplicateKey } from './duplicate-key';

const PROJECTION = { _id: 0, campaignId: 1, userId: 1, slot: 1, voucherCode: 1, createdAt: 1 } as const;

export class MongoWinnerStore implements WinnerStore {
  private readonly collection: Collection<Winner>;

  constructor(db: Db) {
    this.collection = db.collection<Winner>(COLLECTIONS.winners);
  }

  async record(winner: Winner): Promise<RecordWinnerResult> {
    try {
      // insertOne, never upsert: the unique indexes, not a read before the write, decide who wins.
      await this.collection.insertOne({ ...winner });
      return { kind: 'recorded' };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    // Which index refused it? Not every MongoDB-wire server names it, so ask: the user's own record
    // exists only when the (campaign, user) index did.
    const existing = await this.find(winner.campaignId, winner.userId);
    return existing === null ? { kind: 'slot_taken' } : { kind: 'user_already_won', winner: existing };
  }

  async find(campaignId: string, userId: string): Promise<Winner | null> {
    return this.collection.findOne({ campaignId, userId }, { projection: PROJECTION });
  }

  async listByCampaign(campaignId: string): Promise<Winner[]> {
    return this.collection.find({ campaignId }, { projection: PROJECTION }).sort({ slot: 1 }).toArray();
  }

  async *streamByCampaign(campaignId: string, batchSize: number): AsyncIterable<Winner[]> {
    const cursor = this.collection.find({ campaignId }, { projection: PROJECTION, batchSize }).sort({ slot: 1 });
    let batch: Winner[] = [];
    for await (const winner of cursor) {
      batch.push(winner);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  async listByUser(userId: string): Promise<Winner[]> {
    return this.collection.find({ userId }, { projection: PROJECTION }).sort({ createdAt: -1 }).toArray();
  }

  async maxSlot(campaignId: string): Promise<number> {
    const top = await this.collection
      .find({ campaignId }, { projection: PROJECTION })
      .sort({ slot: -1 })
      .limit(1)
      .next();
    return top?.slot ?? 0;
  }

  async count(campaignId: string): Promise<number> {
    return this.collection.countDocuments({ campaignId });
  }

  async deleteCampaign(campaignId: string): Promise<number> {
    return (await this.collection.deleteMany({ campaignId })).deletedCount;
  }
}
