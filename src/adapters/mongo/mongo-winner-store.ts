import type { Collection, Db, WithId } from 'mongodb';

import type { Winner } from '../../domain/slot';
import type { RecordWinnerResult, WinnerRecordKey, WinnerStore } from '../../ports/winner-store.port';
import { absentAsZero } from './absent-as-zero';
import { COLLECTIONS } from './collections';
import { isDuplicateKey } from './duplicate-key';

const PROJECTION = {
  _id: 0,
  campaignId: 1,
  userId: 1,
  slot: 1,
  voucherCode: 1,
  createdAt: 1,
  run: 1,
  pending: 1,
} as const;

type WinnerDocument = Omit<Winner, 'run'> & { run?: number };

/** Winners recorded before runs existed read as run 0. */
function toWinner(document: WinnerDocument | WithId<WinnerDocument>): Winner {
  const { campaignId, userId, slot, voucherCode, createdAt, run, pending } = document;
  const winner: Winner = { campaignId, userId, slot, voucherCode, createdAt, run: run ?? 0 };
  if (pending === true) winner.pending = true;
  return winner;
}

function recordFilter({ campaignId, userId, run, slot, createdAt }: WinnerRecordKey) {
  return { campaignId, userId, slot, createdAt, ...absentAsZero<WinnerDocument>('run', run) };
}

export class MongoWinnerStore implements WinnerStore {
  private readonly collection: Collection<WinnerDocument>;

  constructor(db: Db) {
    this.collection = db.collection<WinnerDocument>(COLLECTIONS.winners);
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
    const document = await this.collection.findOne({ campaignId, userId }, { projection: PROJECTION });
    return document === null ? null : toWinner(document);
  }

  async listByCampaign(campaignId: string): Promise<Winner[]> {
    const documents = await this.collection
      .find({ campaignId }, { projection: PROJECTION })
      .sort({ slot: 1 })
      .toArray();
    return documents.map(toWinner);
  }

  async *streamByCampaign(campaignId: string, batchSize: number): AsyncIterable<Winner[]> {
    const cursor = this.collection.find({ campaignId }, { projection: PROJECTION, batchSize }).sort({ slot: 1 });
    let batch: Winner[] = [];
    for await (const winner of cursor) {
      batch.push(toWinner(winner));
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  async listByUser(userId: string): Promise<Winner[]> {
    const documents = await this.collection
      .find({ userId }, { projection: PROJECTION })
      .sort({ createdAt: -1 })
      .toArray();
    return documents.map(toWinner);
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

  async deleteOfRun(campaignId: string, userId: string, run: number): Promise<boolean> {
    // Run 0 is also a record from before runs existed.
    const filter = { campaignId, userId, ...absentAsZero<WinnerDocument>('run', run) };
    return (await this.collection.deleteOne(filter)).deletedCount === 1;
  }

  async settle(record: WinnerRecordKey): Promise<boolean> {
    const { matchedCount } = await this.collection.updateOne(
      { ...recordFilter(record), pending: true },
      { $unset: { pending: '' } },
    );
    if (matchedCount === 1) return true;
    // Settled before, or gone: only this very record, settled, stands.
    const document = await this.collection.findOne(recordFilter(record), { projection: PROJECTION });
    return document !== null && document.pending !== true;
  }

  async removePending(record: WinnerRecordKey): Promise<boolean> {
    return (await this.collection.deleteOne({ ...recordFilter(record), pending: true })).deletedCount === 1;
  }

  async deleteCampaign(campaignId: string): Promise<number> {
    return (await this.collection.deleteMany({ campaignId })).deletedCount;
  }
}
