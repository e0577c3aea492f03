import { randomUUID } from 'node:crypto';

import type { Collection, Db } from 'mongodb';

import type { UserCredentials, UserDirectory } from '../../ports/user-directory.port';
import { COLLECTIONS } from './collections';

interface UserDocument {
  _id: string;
  account: string;
  passwordHash: string;
  createdAt: Date;
  updatedAt: Date;
}

export class MongoUserDirectory implements UserDirectory {
  private readonly collection: Collection<UserDocument>;

  constructor(db: Db) {
    this.collection = db.collection<UserDocument>(COLLECTIONS.users);
  }

  async findByAccount(account: string): Promise<UserCredentials | null> {
    const user = await this.collection.findOne({ account });
    return user === null ? null : { userId: user._id, account: user.account, passwordHash: user.passwordHash };
  }

  async accountsOf(userIds: readonly string[]): Promise<Map<string, string>> {
    if (userIds.length === 0) return new Map();
    const users = await this.collection
      .find({ _id: { $in: [...userIds] } }, { projection: { _id: 1, account: 1 } })
      .toArray();
    return new Map(users.map((user) => [user._id, user.account]));
  }

  async upsertMany(users: readonly { account: string; passwordHash: string }[]): Promise<number> {
    if (users.length === 0) return 0;
    const now = new Date();
    const result = await this.collection.bulkWrite(
      users.map(({ account, passwordHash }) => ({
        updateOne: {
          filter: { account },
          update: { $set: { passwordHash, updatedAt: now }, $setOnInsert: { _id: randomUUID(), createdAt: now } },
          upsert: true,
        },
      })),
      { ordered: false },
    );
    return result.upsertedCount;
  }

  async replacePasswordHash(userId: string, expectedHash: string, newHash: string): Promise<boolean> {
    const result = await this.collection.updateOne(
      { _id: userId, passwordHash: expectedHash },
      { $set: { passwordHash: newHash, updatedAt: new Date() } },
    );
    return result.modifiedCount === 1;
  }

  /** The first accounts by _id: random UUIDs, so a sample that no login activity influences. */
  async samplePasswordHashes(limit: number): Promise<string[]> {
    const users = await this.collection
      .find({}, { projection: { _id: 0, passwordHash: 1 } })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
    return users.map((user) => user.passwordHash);
  }
}
