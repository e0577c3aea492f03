import type { Collection, Db } from 'mongodb';

import type { Campaign } from '../../domain/campaign';
import type { CampaignStore } from '../../ports/campaign-store.port';
import { COLLECTIONS } from './collections';

type CampaignDocument = Omit<Campaign, 'id'> & { _id: string };

function toCampaign({ _id, ...rest }: CampaignDocument): Campaign {
  return { id: _id, ...rest };
}

export class MongoCampaignStore implements CampaignStore {
  private readonly collection: Collection<CampaignDocument>;

  constructor(db: Db) {
    this.collection = db.collection<CampaignDocument>(COLLECTIONS.campaigns);
  }

  async findById(id: string): Promise<Campaign | null> {
    const document = await this.collection.findOne({ _id: id });
    return document === null ? null : toCampaign(document);
  }

  async listRunning(now: Date): Promise<Campaign[]> {
    const documents = await this.collection
      .find({ startsAt: { $lte: now }, $or: [{ endsAt: null }, { endsAt: { $gt: now } }] })
      .toArray();
    return documents.map(toCampaign);
  }

  async list(): Promise<Campaign[]> {
    const documents = await this.collection.find({}).sort({ createdAt: -1 }).toArray();
    return documents.map(toCampaign);
  }

  async save(campaign: Campaign): Promise<void> {
    const { id, ...rest } = campaign;
    await this.collection.replaceOne({ _id: id }, rest, { upsert: true });
  }
}
