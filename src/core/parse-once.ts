/**
 * Parsing a request once on its way through the gateway. The REST route
 * validates an order body with the same zod schema the core parses every
 * caller's input with (library, MCP and CLI callers reach the core without a
 * route), so a REST order was parsed twice, about 60 µs of CPU before transmit.
 *
 * A schema opts in (`parseOnceWith`); a validator that has just parsed a value
 * with it marks the output (`markParsed`), and the core then takes exactly that
 * object as parsed (`parseOnce`). The mark is kept by object identity, never
 * by shape, and the marked object is frozen, so what the core skips parsing is
 * the schema's own output, unchanged since. Only flat schemas opt in: a shallow
 * freeze must cover every field.
 */
import type { z } from 'zod';
import { fromZodIssues } from './errors.js';

/** The outputs of each opted-in schema, by identity. */
const outputs = new WeakMap<z.ZodType, WeakSet<object>>();

/** Lets `schema`'s outputs be marked (its fields must all be primitives: the mark freezes one level). */
export function parseOnceWith(schema: z.ZodType): void {
  if (!outputs.has(schema)) outputs.set(schema, new WeakSet());
}

/** Marks `value` as `schema`'s output; call it only with what `schema.safeParse` has just returned. A schema that did not opt in marks nothing. */
export function markParsed<T>(schema: z.ZodType, value: T): T {
  const marked = outputs.get(schema);
  if (marked !== undefined && typeof value === 'object' && value !== null) marked.add(Object.freeze(value));
  return value;
}

/** `input` parsed with `schema`, unless it is that schema's own marked output (then it is returned as it is). */
export function parseOnce<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  if (typeof input === 'object' && input !== null && outputs.get(schema)?.has(input) === true) return input as z.infer<S>;
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw fromZodIssues(parsed.error.issues, what);
  return parsed.data;
}
