/**
 * JSON in and out of TEXT columns. Written canonically (sorted keys) so that the
 * stored text, which the hash covers, does not depend on key order. Read back
 * as the type it was written as: the row's hash has vouched for the text.
 */
import { canonicalJson } from '../hashing.js';

export const toJsonText = (value: unknown): string => canonicalJson(value);

export function fromJsonText<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** UTC ISO 8601 with milliseconds, so stored timestamps compare correctly as text. */
export function normaliseTimestamp(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`not a timestamp: ${value}`);
  return new Date(ms).toISOString();
}
