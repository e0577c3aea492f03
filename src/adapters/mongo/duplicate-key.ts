import { MongoBulkWriteError, MongoServerError } from 'mongodb';

const DUPLICATE_KEY = 11000;

/** True for a write refused by a unique index. */
export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY;
}

/**
 * For an unordered insertMany of `attempted` documents: which went in (`created`) and which a unique index
 * refused (`exists`), in their order, when every refusal was a duplicate key. Rethrows anything else, as
 * insertedDespiteDuplicates does.
 */
export function duplicatesAmong(error: unknown, attempted: number): ('created' | 'exists')[] {
  const duplicates = duplicateIndexes(error, attempted);
  return Array.from({ length: attempted }, (_, index) => (duplicates.has(index) ? 'exists' : 'created'));
}

/**
 * For an unordered insertMany of `attempted` documents: how many went in, when every one of the others was
 * refused as a duplicate key. Rethrows anything else, including a bulk error that accounts for fewer
 * documents than were sent: a timeout or a lost connection arrives as a bulk error with no write errors,
 * and says nothing about the documents it did not get to.
 */
export function insertedDespiteDuplicates(error: unknown, attempted: number): number {
  return attempted - duplicateIndexes(error, attempted).size;
}

/** The indexes of the documents a unique index refused, when those were all the refusals; else rethrows. */
function duplicateIndexes(error: unknown, attempted: number): Set<number> {
  if (error instanceof MongoBulkWriteError) {
    const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
    const onlyDuplicates = writeErrors.every((e) => e.code === DUPLICATE_KEY);
    if (onlyDuplicates && error.insertedCount + writeErrors.length === attempted) {
      return new Set(writeErrors.map((e) => e.index));
    }
  }
  throw error;
}
