import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validatorCompiler } from './errors.js';
import { isMemoisedQuery, memoisedQuery, memoiseByText } from './query-memo.js';
import { InstrumentQuery } from './schemas.js';

type Validate = (data: unknown) => { value?: unknown; error?: Error };

describe('validated query strings remembered by their text', () => {
  it('parses a text once and hands every later request the same frozen output', () => {
    let parses = 0;
    const validate = memoiseByText((data) => {
      parses += 1;
      return { value: { ...(data as object), parsed: true } };
    });
    const first = validate({ symbol: 'AAPL' }) as { value: Record<string, unknown> };
    const again = validate({ symbol: 'AAPL' }) as { value: Record<string, unknown> };
    expect(parses).toBe(1);
    expect(again.value).toBe(first.value);
    expect(Object.isFrozen(first.value)).toBe(true);
    // A handler that tried to change it would fail loudly instead of changing the next request's query.
    expect(() => {
      first.value.symbol = 'MSFT';
    }).toThrow(TypeError);
    validate({ symbol: 'MSFT' });
    expect(parses).toBe(2);
  });

  it('keeps names and values apart, and does not remember repeated names or failures', () => {
    const seen: unknown[] = [];
    const validate = memoiseByText((data) => {
      seen.push(data);
      const d = data as Record<string, unknown>;
      return d.bad === undefined ? { value: d } : { error: new Error('bad') };
    });
    validate({ a: 'b=c' });
    validate({ 'a=b': 'c' });
    validate({ symbol: ['AAPL', 'MSFT'] });
    validate({ symbol: ['AAPL', 'MSFT'] });
    validate({ bad: 'x' });
    validate({ bad: 'x' });
    expect(seen).toHaveLength(6);
  });

  it('never answers a query whose text holds a separator with another query\'s output', () => {
    const validate = memoiseByText((data) => {
      const d = data as Record<string, string>;
      return Object.values(d).some((v) => v.includes('\u0000')) ? { error: new Error('control character') } : { value: d };
    });
    expect(validate({ symbol: 'AAPL', exchange: 'X' })).toHaveProperty('value');
    // Decoded from symbol=AAPL%01exchange%00X: joined naively it would read as the query above.
    expect(validate({ symbol: 'AAPL\u0001exchange\u0000X' })).toHaveProperty('error');
  });

  it('stays bounded when every request sends a different text', () => {
    let parses = 0;
    const validate = memoiseByText((data) => {
      parses += 1;
      return { value: data };
    });
    for (let i = 0; i < 5000; i++) validate({ symbol: `S${i}` });
    // Forgotten once the bound was passed: asked again, it is parsed again.
    validate({ symbol: 'S0' });
    expect(parses).toBe(5001);
  });

  it('is used only for schemas marked pure, and answers exactly what the schema answers', () => {
    expect(isMemoisedQuery(InstrumentQuery)).toBe(true);
    const plain = z.strictObject({ symbol: z.string() });
    expect(isMemoisedQuery(plain)).toBe(false);
    const validate = validatorCompiler({ schema: InstrumentQuery, httpPart: 'querystring', method: 'GET', url: '/x' }) as Validate;
    const ok = validate({ symbol: 'AAPL', strike: '12.5' });
    expect(ok.value).toEqual(InstrumentQuery.parse({ symbol: 'AAPL', strike: '12.5' }));
    expect(validate({ symbol: 'AAPL', strike: '12.5' }).value).toBe(ok.value);
    // A failure is reported as before, each time.
    for (let i = 0; i < 2; i++) expect(validate({ symbol: 'AAPL', strike: 'x' }).error).toMatchObject({ code: 'VALIDATION_ERROR' });
    const body = validatorCompiler({ schema: memoisedQuery(z.strictObject({ n: z.string() })), httpPart: 'body', method: 'POST', url: '/x' }) as Validate;
    expect(body({ n: 'a' }).value).not.toBe(body({ n: 'a' }).value);
  });
});
