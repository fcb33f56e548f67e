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
