/** Input validation shared by the order modules: a zod failure becomes the one VALIDATION_ERROR. */
import type { z } from 'zod';
import { fromZodIssues } from '../errors.js';

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw fromZodIssues(parsed.error.issues, what);
  return parsed.data;
}
