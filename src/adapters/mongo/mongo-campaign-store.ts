import type { Collection, Db } from 'mongodb';

import type { Campaign } from '../../domain/campaign';
import type { CampaignStore } from '../../ports/campaign-store.port';
import { absentAsZero } from './absent-as-zero';
import { COLLECTIONS } from './collections';
import { isDuplicateKey } from './duplicate-key';

type CampaignDocument = Omit<Campaign, 'id' | 'version' | 'run' | 'runSince' | 'resetting'> & {
  _id: string;
  version?: number;
  run?: number;
  runSince?: number;
  resetting?: boolean;
};

/** One change of a campaign: the version it replaced, and what it became. */
interface CampaignVersionDocument {
  campaignId: string;
  predecessor: number;
  campaign: Omit<Campaign, 'id'>;
  at: Date;
}

/** Campaigns stored before versions (or runs) existed read as version 0 (run 0). */
function toCampaign({ _id, ...rest }: CampaignDocument): Campaign {
  return {
    id: _id,
    ...rest,
    version: rest.version ?? 0,
    run: rest.run ?? 0,
    runSince: rest.runSince ?? 0,
    resetting: rest.resetting ?? false,
  };
}

export class MongoCampaignStore implements CampaignStore {
  private readonly collection: Collection<CampaignDocument>;
  private readonly versions: Collection<CampaignVersionDocument>;

  constructor(db: Db) {
    this.collection = db.collection<CampaignDocument>(COLLECTIONS.campaigns);
    this.versions = db.collection<CampaignVersionDocument>(COLLECTIONS.campaignVersions);
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

  /**
   * A compare-and-set on the version, built on a unique index so that it is atomic on every MongoDB-wire
   * server (a conditional replaceOne is atomic on MongoDB, not on every server that speaks its protocol):
   *   1. insert the new version into campaign_versions as the one successor of `expectedVersion` (-1 for a
   *      new campaign); a duplicate means someone else changed it first: conflict;
   *   2. write the campaign document from it.
   * A writer that stops between the two leaves its version recorded; the next one to meet it finishes its
   * write (rolls it forward) before it reports its own conflict, so nothing stays stuck.
   */
  async save(campaign: Campaign, expectedVersion: number | null): Promise<'saved' | 'conflict'> {
    const { id, ...rest } = campaign;
    const predecessor = expectedVersion ?? -1;
    try {
      await this.versions.insertOne({ campaignId: id, predecessor, campaign: rest, at: new Date() });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      await this.rollForward(id, predecessor);
      return 'conflict';
    }
    return (await this.write(id, predecessor, rest)) ? 'saved' : 'conflict';
  }

  /** The campaign document becomes `rest`, if it is still at `predecessor` (-1: if there is none). */
  private async write(id: string, predecessor: number, rest: Omit<Campaign, 'id'>): Promise<boolean> {
    if (predecessor === -1) {
      try {
        await this.collection.insertOne({ _id: id, ...rest });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    }
    // Version 0 is also a campaign stored before versions existed.
    const filter = { _id: id, ...absentAsZero<CampaignDocument>('version', predecessor) };
    return (await this.collection.replaceOne(filter, rest)).matchedCount === 1;
  }

  private async rollForward(id: string, predecessor: number): Promise<void> {
    const recorded = await this.versions.findOne({ campaignId: id, predecessor });
    if (recorded !== null) await this.write(id, predecessor, recorded.campaign);
  }
}
