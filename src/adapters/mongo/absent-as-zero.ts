import type { Filter } from 'mongodb';

/**
 * A filter on a number field added to documents after some were stored: `field` equals `value`, and when
 * `value` is 0 a document without the field matches too (null matches a missing field), as those
 * documents read as 0.
 */
export function absentAsZero<T>(field: string, value: number): Filter<T> {
  return { [field]: value === 0 ? { $in: [0, null] } : value } as Filter<T>;
}
