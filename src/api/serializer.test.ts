import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import * as models from '../core/models.js';
import { serializerCompiler } from './serializer.js';

const compile = (schema: z.ZodType) => serializerCompiler({ schema, method: 'GET', url: '/test', httpStatus: '200' });

const QUOTE: models.Quote = {
  symbol: 'AAPL',
  conId: 265598,
  bid: 189.5,
  ask: null,
  last: 189.52,
  bidSize: 100,
  askSize: null,
  lastSize: 5,
  volume: 1_000,
  open: 188,
  high: 190,
  low: 187.5,
  close: 188.2,
  timestamp: '2026-12-02T15:30:00.000Z',
  source: 'SIMULATED',
};

describe('response serialisation (fast-json-stringify from the zod models)', () => {
  it('writes what the zod parse wrote, without the fields the schema does not name', () => {
    const text = compile(models.Quote)({ ...QUOTE, internal: 'not for callers' });
    expect(JSON.parse(text)).toEqual(models.Quote.parse(QUOTE));
    expect(text).not.toContain('internal');
  });

  it('throws on a value it cannot write as its schema says, so the answer is a 500 and not a wrong one', () => {
    const serialize = compile(models.Quote);
    expect(() => serialize({ ...QUOTE, bid: 'oops' })).toThrow();
    const { symbol: _symbol, ...withoutSymbol } = QUOTE;
    expect(() => serialize(withoutSymbol)).toThrow();
  });

  /** QUOTE with a field that counts how often a serializer reads it. */
  const counted = (): { quote: models.Quote; reads: () => number } => {
    let reads = 0;
    const quote = { ...QUOTE };
    Object.defineProperty(quote, 'symbol', { enumerable: true, get: () => (reads++, 'AAPL') });
    return { quote, reads: () => reads };
  };

  it('writes a frozen value of a flat schema once: the same object again gets the same text without being read', () => {
    const serialize = compile(models.Quote);
    const { quote, reads } = counted();
    Object.freeze(quote);
    const first = serialize(quote);
    expect(serialize(quote)).toBe(first);
    expect(reads()).toBe(1);
    // Another object, even with equal fields, is written afresh, and then remembered in its place.
    const other = Object.freeze({ ...QUOTE, bid: 1 });
    expect(JSON.parse(serialize(other))).toMatchObject({ bid: 1 });
    expect(serialize(quote)).toBe(first);
    expect(reads()).toBe(2);
  });

  it('writes a value that is not frozen afresh every time: it may have changed since', () => {
    const serialize = compile(models.Quote);
    const { quote, reads } = counted();
    expect(JSON.parse(serialize(quote))).toMatchObject({ bid: 189.5 });
    quote.bid = 190;
    expect(JSON.parse(serialize(quote))).toMatchObject({ bid: 190 });
    expect(reads()).toBe(2);
  });

  it('remembers nothing for a schema with nested fields: freezing an object does not freeze what it holds', () => {
    const serialize = compile(z.object({ quote: models.Quote }));
    const inner = { ...QUOTE };
    const outer = Object.freeze({ quote: inner });
    expect(JSON.parse(serialize(outer))).toMatchObject({ quote: { bid: 189.5 } });
    inner.bid = 190;
    expect(JSON.parse(serialize(outer))).toMatchObject({ quote: { bid: 190 } });
  });

  it('a union keeps the zod parse: /health answers either body', () => {
    const serialize = compile(models.Health.or(models.HealthStatus));
    expect(JSON.parse(serialize({ status: 'ok' }))).toEqual({ status: 'ok' });
    expect(() => serialize({ status: 42 })).toThrow();
  });

  it('every model in core/models.ts compiles', () => {
    const schemas: Array<[string, z.ZodType]> = [];
    for (const [name, value] of Object.entries(models) as Array<[string, unknown]>) if (value instanceof z.ZodType) schemas.push([name, value]);
    expect(schemas.length).toBeGreaterThan(30);
    for (const [name, schema] of schemas) {
      const serialize = compile(schema);
      // The first call compiles; a value of the wrong shape may throw, but compiling must not.
      try {
        serialize({});
      } catch (err) {
        expect((err as Error).message, name).not.toMatch(/schema is invalid|unknown keyword|Cannot find reference/i);
      }
    }
  });
});
