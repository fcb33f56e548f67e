/**
 * Canonical JSON and hashes. Two objects with the same content hash the same
 * whatever their key order: previews, idempotency keys and the audit chain
 * depend on that.
 */
import { hash } from 'node:crypto';

/** JSON with object keys sorted at every level; undefined members are dropped, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/**
 * `value` in the form canonicalJson writes it from: `canonicalJson(v) === JSON.stringify(inCanonicalOrder(v))`. For an
 * object the order path hands to several rows (the spec, a fill): put in order once, each row's
 * canonicalJson then writes it as it is instead of copying it again, and its parent object with it (hashing.test.ts).
 */
export function inCanonicalOrder<T>(value: T): T {
  return sortKeys(value) as T;
}

/**
 * `value` with its object keys sorted at every level, as a value JSON.stringify writes in that order: a copy where
 * anything needs one, and `value` itself (or an array or object sharing the members that needed none) where it is
 * already written so. The order path's event data is mostly built in sorted key order, and copying it was most of
 * what canonicalJson cost beyond JSON.stringify (ORDER_SUBMITTED's, 2.2 KB: 21.8 against 13.2 µs, 2026-12-04).
 */
function sortKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return sortedArray(value);
  return sortedObject(value as Record<string, unknown>);
}

function sortedArray(value: unknown[]): unknown[] {
  // An Array subclass may have a toJSON of its own, which would see the copy as `this`: copied, as it always was.
  if (Object.getPrototypeOf(value) !== Array.prototype) return value.map(sortKeys);
  let out: unknown[] | null = null;
  for (let i = 0; i < value.length; i++) {
    const member = value[i];
    const sorted = sortKeys(member);
    if (sorted === member) continue;
    // slice() keeps holes as holes, as map() did: JSON.stringify writes either as null.
    out ??= value.slice();
    out[i] = sorted;
  }
  return out ?? value;
}

/**
 * An object is written as it is when JSON.stringify would write the sorted copy's text from it: a plain object
 * (a class instance is copied to its own keys, a Date to {}, as the stored hashes were made) whose keys are listed
 * in sorted order. Then its integer-like keys, which any object lists first, come first in the copy too, and the
 * members it leaves out (undefined, functions) JSON.stringify leaves out as well. `__proto__` (an own key only
 * JSON.parse makes, which the copy's assignment would not keep) and `toJSON` (which would see the copy as `this`)
 * take the copy as before.
 */
function sortedObject(value: Record<string, unknown>): unknown {
  const keys = Object.keys(value);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return sortedCopy(value, keys);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if ((i > 0 && !((keys[i - 1] as string) < key)) || key === '__proto__' || key === 'toJSON') return sortedCopy(value, keys);
  }
  let out: Record<string, unknown> | null = null;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const member = value[key];
    const sorted = sortKeys(member);
    if (out === null) {
      if (sorted === member) continue;
      // The first member that changed: the copy takes the members before it as they are (each was its own sorted form).
      out = {};
      for (let j = 0; j < i; j++) {
        const kept = value[keys[j] as string];
        if (kept !== undefined) out[keys[j] as string] = kept;
      }
    }
    if (sorted !== undefined) out[key] = sorted;
  }
  return out ?? value;
}

function sortedCopy(value: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  sortedInPlace(keys);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const member = value[key];
    if (member !== undefined) out[key] = sortKeys(member);
  }
  return out;
}

/** Objects up to this many keys are sorted by insertion; larger ones by Array.prototype.sort. */
const INSERTION_SORT_MAX = 24;

/**
 * `keys` in the order Array.prototype.sort() gives (UTF-16 code units; the keys are distinct strings), sorted in
 * place. For the small objects hashed here an insertion sort: sort() copies its array into a new backing store
 * first, and on the order path those copies were about a third of what canonicalJson allocated (heap sampling).
 */
function sortedInPlace(keys: string[]): string[] {
  const n = keys.length;
  if (n > INSERTION_SORT_MAX) return keys.sort();
  for (let i = 1; i < n; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

// One-shot crypto.hash (Node >= 20.12; engines asks 20.19): the same digest as createHash().update().digest() without
// a Hash object per call, 1.4 against 2.6 µs for an order-sized text here; rows and idempotency keys hash several per order.
export const sha256Hex = (text: string): string => hash('sha256', text, 'hex');

export const hashOf = (value: unknown): string => sha256Hex(canonicalJson(value));
