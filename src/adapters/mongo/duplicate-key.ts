import { MongoBulkWriteError, MongoServerError } from 'mongodb';

const DUPLICATE_KEY = 11000;

/** True for a write refused by a unique index. */
export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY;
}

/**
 * For an unordered insertMany of `attempted` documents: how many went in, when every one of the others was
 * refused as a duplicate key. Rethrows anything else, including a bulk error that accounts for fewer
 * documents than were sent: a timeout or a lost connection arrives as a bulk error with no write errors,
 * and says nothing about the documents it did not get to.
 */
export function insertedDespiteDuplicates(error: unknown, attempted: number): number {
  if (error instanceof MongoBulkWriteError) {
    const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
    const onlyDuplicates = writeErrors.every((e) => e.code === DUPLICATE_KEY);
    if (onlyDuplicates && error.insertedCount + writeErrors.length === attempted) return error.insertedCount;
  }
  throw error;
}
