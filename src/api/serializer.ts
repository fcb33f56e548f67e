/**
 * Response serialisation with precompiled schemas: each route's zod response
 * model becomes a JSON Schema (z.toJSONSchema) compiled by fast-json-stringify,
 * the serializer Fastify itself uses. A compiled serializer writes exactly the
 * schema's fields in one pass; the zod parse plus JSON.stringify it replaces
 * walked the value twice and built a copy, and was the largest single cost of
 * the quote route after the socket write (bench/api.js, docs/performance.md).
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
 *
 * A flat schema (every field a string, number, boolean or null) remembers the
 * last frozen value it wrote and its text: the simulator hands every quote
 * request within one millisecond the same frozen Quote (brokers/sim/market.ts),
 * and ten or so requests share one under load. Writing it again cost about
 * 1 µs, and the fresh text, a string of ~30 concatenated pieces, cost another
 * ~0.8 µs to flatten when Fastify measured its length (profile of bench/api.js's
 * quote route). A frozen object's own fields cannot change and a flat schema
 * reads nothing else, so the remembered text is what writing it again would give.
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

const SCALAR_TYPES: ReadonlySet<unknown> = new Set(['string', 'number', 'integer', 'boolean', 'null']);
const isScalar = (property: unknown): boolean => {
  if (typeof property !== 'object' || property === null) return false;
  const { type } = property as { type?: unknown };
  return Array.isArray(type) ? type.length > 0 && type.every((t) => SCALAR_TYPES.has(t)) : SCALAR_TYPES.has(type);
};

/** An object schema whose every field is a scalar (a Quote): what it writes depends only on the object's own field values. */
function isFlat(json: Record<string, unknown>): boolean {
  const { type, properties } = json;
  return type === 'object' && typeof properties === 'object' && properties !== null && Object.values(properties).every(isScalar);
}

/** `write`, returning the last text again when given the same frozen object again (see the module comment). */
function rememberingLastFrozen(write: Serialize): Serialize {
  let lastValue: unknown = null;
  let lastText = '';
  return (data: unknown): string => {
    if (data === lastValue && data !== null) return lastText;
    const text = write(data);
    if (typeof data === 'object' && data !== null && Object.isFrozen(data)) {
      lastValue = data;
      lastText = text;
    }
    return text;
  };
}

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
      serialize = isFlat(json) ? rememberingLastFrozen((data) => build(data) as string) : (data: unknown): string => build(data) as string;
    }
    compiled.set(schema, serialize);
  }
  return serialize;
}

export const serializerCompiler: FastifySerializerCompiler<z.ZodType> = ({ schema }) => {
  let serialize: Serialize | null = null;
  return (data: unknown) => (serialize ??= compile(schema))(data);
};
