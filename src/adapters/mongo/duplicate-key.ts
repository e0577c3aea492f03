import { MongoBulkWriteError, MongoServerError } from 'mongodb';

const DUPLICATE_KEY = 11000;

/** True for a write refused by a unique index. */
export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY;
}

/**
 * For an unordered insertMany: how many documents went in when every failure was a duplicate key.
 * Rethrows anything else.
 */
export function insertedDespiteDuplicates(error: unknown): number {
  if (error instanceof MongoBulkWriteError) {
    const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
    if (writeErrors.every((e) => e.code === DUPLICATE_KEY)) return error.insertedCount;
  }
  throw error;
}
