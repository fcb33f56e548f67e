/**
 * Parse once: what a schema produced, marked by the validator that ran it, is
 * not parsed again; anything else is, however much it looks like an output.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validatorCompiler } from '../api/errors.js';
import { PlaceOrderRequest } from './models.js';
import { markParsed, parseOnce, parseOnceWith } from './parse-once.js';

// The order path opts PlaceOrderRequest in (orders/place.ts); said here too so this file stands alone.
parseOnceWith(PlaceOrderRequest);

const body = { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT', clientOrderId: 'po-1' };
const validated = (input: unknown): PlaceOrderRequest => markParsed(PlaceOrderRequest, PlaceOrderRequest.parse(input));

describe('parseOnce', () => {
  it("takes the schema's own marked output as parsed: the same object comes back, frozen", () => {
    const output = validated(body);
    expect(parseOnce(PlaceOrderRequest, output, 'Order')).toBe(output);
    expect(Object.isFrozen(output)).toBe(true);
  });

  it('parses an unmarked object, even one shaped like an output: a bad field is still refused', () => {
    const lookalike = { ...validated(body), quantity: -5 };
    expect(() => parseOnce(PlaceOrderRequest, lookalike, 'Order')).toThrow(expect.objectContaining({ code: 'VALIDATION_ERROR' }) as Error);
    const plain = { ...body };
    const parsed = parseOnce(PlaceOrderRequest, plain, 'Order');
    expect(parsed).not.toBe(plain);
    expect(parsed).toMatchObject({ securityType: 'STK', timeInForce: 'DAY', outsideRth: false });
  });

  it('a marked output cannot be changed after it was parsed (a change would otherwise skip validation)', () => {
    const output = validated(body);
    expect(() => {
      (output as { quantity: number }).quantity = -5;
    }).toThrow(TypeError);
    expect(parseOnce(PlaceOrderRequest, output, 'Order').quantity).toBe(1);
  });

  it("marks nothing for a schema that did not opt in, and one schema's mark is not another's", () => {
    const other = z.strictObject({ symbol: z.string(), action: z.string(), quantity: z.number(), orderType: z.string(), clientOrderId: z.string() });
    const notOptedIn = markParsed(other, other.parse(body));
    expect(Object.isFrozen(notOptedIn)).toBe(false);

    const strict = z.strictObject({ symbol: z.literal('MSFT') });
    parseOnceWith(strict);
    const markedByPlace = validated(body);
    expect(() => parseOnce(strict, markedByPlace, 'Order')).toThrow(expect.objectContaining({ code: 'VALIDATION_ERROR' }) as Error);
  });

  it("the REST API's body validator marks what it parsed, and only what passed", () => {
    const validate = validatorCompiler({ schema: PlaceOrderRequest, httpPart: 'body', method: 'POST', url: '/api/orders/place' }) as (data: unknown) => { value?: unknown; error?: Error };
    const { value } = validate(body);
    expect(parseOnce(PlaceOrderRequest, value, 'Order')).toBe(value);
    const refused = validate({ ...body, quantity: 0 });
    expect(refused.error).toBeDefined();
    expect(refused.value).toBeUndefined();
  });
});
