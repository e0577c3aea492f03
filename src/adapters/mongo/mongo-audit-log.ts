import type { Collection, Db } from 'mongodb';

import type { AuditEntry, AuditLog } from '../../ports/audit-log.port';
import { COLLECTIONS } from './collections';

export class MongoAuditLog implements AuditLog {
  private readonly collection: Collection<AuditEntry>;

  constructor(db: Db) {
    this.collection = db.collection<AuditEntry>(COLLECTIONS.audit);
  }

  async record(entry: AuditEntry): Promise<void> {
    await this.collection.insertOne({ ...entry });
  }

  async listByCampaign(campaignId: string, limit: number): Promise<AuditEntry[]> {
    return this.collection
      .find({ campaignId }, { projection: { _id: 0 } })
      .sort({ at: -1 })
      .limit(limit)
      .toArray();
  }
}
