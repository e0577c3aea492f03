import type { Collection, Db, Filter } from 'mongodb';

import type { Voucher } from '../../domain/voucher';
import type { VoucherMatch, VoucherStore } from '../../ports/voucher-store.port';
import { COLLECTIONS } from './collections';
import { duplicatesAmong, isDuplicateKey } from './duplicate-key';

const PROJECTION = {
  _id: 0,
  code: 1,
  userId: 1,
  campaignId: 1,
  discount: 1,
  description: 1,
  expireDate: 1,
  voucherType: 1,
  createdAt: 1,
} as const;

export class MongoVoucherStore implements VoucherStore {
  private readonly collection: Collection<Voucher>;

  constructor(db: Db) {
    this.collection = db.collection<Voucher>(COLLECTIONS.vouchers);
  }

  async insert(voucher: Voucher): Promise<'created' | 'exists'> {
    try {
      await this.collection.insertOne({ ...voucher });
      return 'created';
    } catch (error) {
      if (isDuplicateKey(error)) return 'exists';
      throw error;
    }
  }

  async insertMany(vouchers: readonly Voucher[]): Promise<('created' | 'exists')[]> {
    if (vouchers.length === 0) return [];
    // Copies: the driver writes an _id into the documents it is given.
    const documents = vouchers.map((voucher) => ({ ...voucher }));
    try {
      await this.collection.insertMany(documents, { ordered: false });
      return vouchers.map(() => 'created');
    } catch (error) {
      return duplicatesAmong(error, vouchers.length);
    }
  }

  async listByUser(userId: string): Promise<Voucher[]> {
    return this.collection.find({ userId }, { projection: PROJECTION }).sort({ createdAt: -1 }).toArray();
  }

  async findForUsers(campaignId: string, userIds: readonly string[]): Promise<Voucher[]> {
    if (userIds.length === 0) return [];
    if (userIds.length === 1) {
      // By equality: a one-user `$in` is not an index lookup on every MongoDB-wire server (FerretDB 1.24
      // filters it over all the campaign's vouchers), and this is the read of a winner logging in again.
      const found = await this.collection.findOne({ campaignId, userId: userIds[0] }, { projection: PROJECTION });
      return found === null ? [] : [found];
    }
    return this.collection.find({ campaignId, userId: { $in: [...userIds] } }, { projection: PROJECTION }).toArray();
  }

  async heldByCampaign(campaignId: string): Promise<Map<string, Date>> {
    const issued = await this.collection
      .find({ campaignId }, { projection: { _id: 0, userId: 1, expireDate: 1 } })
      .toArray();
    return new Map(issued.map((voucher) => [voucher.userId, voucher.expireDate]));
  }

  async count(campaignId: string): Promise<number> {
    return this.collection.countDocuments({ campaignId });
  }

  async deleteOne(campaignId: string, userId: string, only: VoucherMatch = {}): Promise<boolean> {
    const filter: Filter<Voucher> = { campaignId, userId };
    if (only.expireDate !== undefined) filter.expireDate = only.expireDate;
    if (only.writtenNoLaterThan !== undefined) filter.createdAt = { $lte: only.writtenNoLaterThan };
    return (await this.collection.deleteOne(filter)).deletedCount === 1;
  }

  async deleteCampaign(campaignId: string): Promise<number> {
    return (await this.collection.deleteMany({ campaignId })).deletedCount;
  }
}
