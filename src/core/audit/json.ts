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

/** The last timestamp normalised and its result: every row of a batch carries the batch's `now`, and a read's window bounds repeat. */
let lastIn: string | null = null;
let lastOut = '';

/** UTC ISO 8601 with milliseconds, so stored timestamps compare correctly as text. */
export function normaliseTimestamp(value: string): string {
  if (value === lastIn) return lastOut;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`not a timestamp: ${value}`);
  const out = new Date(ms).toISOString();
  lastIn = value;
  lastOut = out;
  return out;
}
