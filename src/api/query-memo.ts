/**
 * Validated query strings, remembered by their text.
 *
 * The quote route's callers ask for the same few instruments over and over; a
 * zod parse of the query on every request (~2 µs, and the contract resolver
 * parsed the result again) was a visible share of the route's CPU in a
 * profile. For a schema whose output depends only on the text it is given (no
 * clock, no randomness: plain fields, constant defaults, pure conversions), the
 * parse of a text seen before is that earlier output. Such schemas are marked
 * with memoisedQuery() where they are defined; nothing else is remembered.
 *
 * The remembered output is frozen and shared by every request that sent the
 * same text: a handler cannot change what the next request receives, and the
 * contract resolver can recognise it by identity (core/contracts.ts) without
 * parsing it again. Failures are not remembered (they answer 400 anyway). The
 * memory is bounded: at MAX_TEXTS distinct texts per schema it starts afresh,
 * so a caller sending endless different queries costs one Map clear per
 * MAX_TEXTS requests, never growth.
 */
import type { z } from 'zod';

const MAX_TEXTS = 512;
const pure = new WeakSet<z.ZodType>();

/** Marks `schema` as a pure function of its input text (see above); returns it. */
export function memoisedQuery<S extends z.ZodType>(schema: S): S {
  pure.add(schema);
  return schema;
}

export const isMemoisedQuery = (schema: z.ZodType): boolean => pure.has(schema);

/** A decoded name or value holding a separator (%00, %01) could pass for another query's text. */
const holdsSeparator = (text: string): boolean => text.includes('\u0000') || text.includes('\u0001');

/**
 * The text of a parsed query string or path parameters: names and values, each
 * ended by a separator. null (not remembered) when a value is not a single
 * string (a repeated name gives an array) or a name or value holds a
 * separator itself, so two different queries never share a text.
 */
function textOf(data: unknown): string | null {
  if (typeof data !== 'object' || data === null) return null;
  let text = '';
  for (const name in data) {
    const value = (data as Record<string, unknown>)[name];
    if (typeof value !== 'string' || holdsSeparator(name) || holdsSeparator(value)) return null;
    text += name + '\u0000' + value + '\u0001';
  }
  return text;
}

type Validation = { value: unknown } | { error: Error };

/** `validate`, remembering each successful output (frozen) by the text it came from. */
export function memoiseByText(validate: (data: unknown) => Validation): (data: unknown) => Validation {
  const seen = new Map<string, { value: unknown }>();
  return (data: unknown) => {
    const text = textOf(data);
    if (text === null) return validate(data);
    const known = seen.get(text);
    if (known !== undefined) return known;
    const result = validate(data);
    if ('error' in result) return result;
    if (seen.size >= MAX_TEXTS) seen.clear();
    const remembered = { value: Object.freeze(result.value) };
    seen.set(text, remembered);
    return remembered;
  };
}
