/**
 * Response serialisation with precompiled schemas: each route's zod response
 * model becomes a JSON Schema (z.toJSONSchema) compiled by fast-json-stringify,
 * the serializer Fastify itself uses. A compiled serializer writes exactly the
 * schema's fields in one pass; the zod parse plus JSON.stringify it replaces
 * walked the value twice and built a copy, and was the largest single cost of
 * the quote route after the socket write (bench/api.js, README figures).
 *
 * What it keeps from the zod path: fields outside the schema are dropped, and
 * a value that cannot be written as its schema says (a required field missing,
 * text where a number belongs) throws, which the error handler answers as
 * 500 INTERNAL_ERROR rather than a wrong answer. What it does not check:
 * value-level rules (enum members, patterns, bounds); the core produces those
 * values from the same models.
 *
 * Unions are the exception: fast-json-stringify picks a union's branch by
 * validating with ajv, so those schemas keep the zod parse (see compile).
 *
 * Compilation is lazy and shared: a schema is compiled at its first response
 * (not at start, which would cost cold start a compile per route) and once
 * for all routes that use it (ErrorBody is on every route); fast-json-stringify
 * itself is loaded at the first compile.
 */
import { createRequire } from 'node:module';
import type { FastifySerializerCompiler } from 'fastify';
import type fastJsonStringify from 'fast-json-stringify';
import { z } from 'zod';

// fast-json-stringify brings ajv (~100 ms of CPU to load on this machine): it is required at the first
// compile, not at start (server.ts also keeps Fastify from loading its own ajv-based compilers).
const requireCjs = createRequire(import.meta.url);
let fastJsonStringifyModule: typeof fastJsonStringify | null = null;
const loadFastJsonStringify = (): typeof fastJsonStringify => (fastJsonStringifyModule ??= requireCjs('fast-json-stringify') as typeof fastJsonStringify);

type Serialize = (data: unknown) => string;

const compiled = new WeakMap<z.ZodType, Serialize>();

/** The JSON Schema fast-json-stringify reads for a zod model (draft 7: what its ajv knows). */
export function serializationSchema(schema: z.ZodType): Record<string, unknown> {
  const json: Record<string, unknown> = z.toJSONSchema(schema, { target: 'draft-7', io: 'output', unrepresentable: 'any' });
  delete json.$schema;
  return json;
}

/** Branches fast-json-stringify can only choose between by validating the value with ajv (compiled at first use, checked per call). */
const BRANCHING = /"(anyOf|oneOf|allOf|if)":/;

function compile(schema: z.ZodType): Serialize {
  let serialize = compiled.get(schema);
  if (serialize === undefined) {
    const json = serializationSchema(schema);
    if (BRANCHING.test(JSON.stringify(json))) {
      // A union (e.g. /health's full or status-only body): the zod parse picks the branch for less than
      // fast-json-stringify's ajv would cost, and without an ajv compile at the first answer (cold start).
      serialize = (data: unknown): string => {
        const result = schema.safeParse(data);
        if (!result.success) throw new Error('The answer does not match its response schema', { cause: result.error });
        return JSON.stringify(result.data);
      };
    } else {
      const build = loadFastJsonStringify()(json as fastJsonStringify.AnySchema);
      serialize = (data: unknown): string => build(data) as string;
    }
    compiled.set(schema, serialize);
  }
  return serialize;
}

export const serializerCompiler: FastifySerializerCompiler<z.ZodType> = ({ schema }) => {
  let serialize: Serialize | null = null;
  return (data: unknown) => (serialize ??= compile(schema))(data);
};
