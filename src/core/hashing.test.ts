/**
 * canonicalJson is what every stored hash covers: whatever it is rewritten as,
 * it must keep producing exactly what it always produced, JSON.stringify of a
 * copy with keys sorted at every level (the reference below). A one-pass
 * writer was tried (slower than this, measured) and got integer-like keys wrong.
 */
import { describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { canonicalJson, hashOf, inCanonicalOrder, sha256Hex } from './hashing.js';

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) out[key] = sortKeys(member);
    }
    return out;
  }
  return value;
}
const reference = (value: unknown): string => JSON.stringify(sortKeys(value));

describe('canonicalJson', () => {
  it('sorts keys at every level, drops undefined members and writes what JSON cannot hold as null in arrays', () => {
    const value = { b: [3, undefined, () => 1, Number.NaN, -0], a: { d: 'x"\n\u2028', c: null, u: undefined, f: () => 1 }, é: true };
    expect(canonicalJson(value)).toBe('{"a":{"c":null,"d":"x\\"\\n\u2028"},"b":[3,null,null,null,0],"é":true}');
    expect(canonicalJson(value)).toBe(reference(value));
  });

  it('puts integer-like keys first in numeric order, as the sorted copy did (a JavaScript object lists them first)', () => {
    const value = { b: 1, '10': 2, '9': 3, '': 4, '01': 5, '4294967295': 6, '4294967294': 7 };
    expect(canonicalJson(value)).toBe('{"9":3,"10":2,"4294967294":7,"":4,"01":5,"4294967295":6,"b":1}');
    expect(canonicalJson(value)).toBe(reference(value));
  });

  it('writes class instances as their own keys, as the stored hashes were made: a Date is {}, a Decimal its fields', () => {
    for (const v of [new Date(0), new Decimal('1.25'), { at: new Date(0), n: new Decimal(-3) }]) expect(canonicalJson(v)).toBe(reference(v));
    expect(canonicalJson(new Date(0))).toBe('{}');
  });

  it('matches the sorted copy for any JSON-like value, objects small (sorted by insertion) and large (by Array.prototype.sort)', () => {
    // Keys drawn from a small alphabet so that prefixes, case, non-ASCII and integer-like names meet in one object.
    const key = fc.oneof(fc.stringMatching(/^(?:[aAbé_0-9]|😀){0,4}$/u), fc.constantFrom('10', '9', '01', '4294967295', 'toString', 'constructor'));
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 0 }), fc.constant(undefined), fc.array(tie('tree'), { maxLength: 4 }), fc.dictionary(key, tie('tree'), { maxKeys: 40 })),
    }));
    fc.assert(
      fc.property(tree, (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }),
      { numRuns: 500, seed: 18 },
    );
  });

  it('matches the sorted copy for values already in sorted key order, wholly or in part, which it writes without copying', () => {
    const key = fc.oneof(fc.stringMatching(/^(?:[aAbé_0-9]|😀){0,4}$/u), fc.constantFrom('10', '9', '01', 'toString', '__proto__', 'toJSON'));
    const inOrder = (d: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(d).sort(([a], [b]) => (a < b ? -1 : 1)));
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 0 }),
        fc.constant(undefined),
        fc.constant(new Date(0)),
        fc.constant(() => 1),
        fc.array(tie('tree'), { maxLength: 4 }),
        fc.tuple(fc.dictionary(key, tie('tree'), { maxKeys: 8 }), fc.boolean()).map(([d, sorted]) => (sorted ? inOrder(d) : d)),
      ),
    }));
    fc.assert(
      fc.property(tree, (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }),
      { numRuns: 1000, seed: 18 },
    );
  });

  it('writes a sorted object the way its sorted copy was written: own __proto__ and toJSON keys, a member changed deep down, holes', () => {
    const parsed = JSON.parse('{"__proto__":{"b":1,"a":2},"a":1}') as unknown;
    const withToJson = { a: 1, toJSON(this: Record<string, unknown>) { return Object.keys(this).length; } };
    const holes: unknown[] = [1];
    holes[2] = 3;
    const deep = { a: { b: [{ d: 1, c: 2 }, { e: 3 }], c: undefined }, b: holes, c: { f: () => 1, g: Symbol('s') } };
    for (const v of [parsed, withToJson, deep, [deep, [deep]], Object.assign(Object.create(null) as object, { a: { c: 1, b: 2 }, b: 1 })]) expect(canonicalJson(v)).toBe(reference(v));
    expect(canonicalJson(deep)).toBe('{"a":{"b":[{"c":2,"d":1},{"e":3}]},"b":[1,null,3],"c":{}}');
    expect(JSON.stringify(deep.a.b[0])).toBe('{"d":1,"c":2}');
  });

  it('sorts objects with more keys than the insertion sort takes exactly as small ones', () => {
    const wide = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${(i * 37) % 60}`, i]));
    expect(canonicalJson(wide)).toBe(reference(wide));
    expect(Object.keys(JSON.parse(canonicalJson(wide)) as object)).toEqual(Object.keys(wide).sort());
  });

  it('gives undefined for undefined, as JSON.stringify does, and refuses a bigint', () => {
    expect(canonicalJson(undefined)).toBeUndefined();
    expect(() => canonicalJson(1n)).toThrow(TypeError);
  });
});

describe('inCanonicalOrder', () => {
  it('gives a value whose plain JSON.stringify is its canonical JSON, and the value itself when it is in that order already', () => {
    const key = fc.oneof(fc.stringMatching(/^(?:[aAbé_0-9]|😀){0,4}$/u), fc.constantFrom('10', '9', '01', 'toString', '__proto__', 'toJSON'));
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 0 }), fc.constant(undefined), fc.constant(new Date(0)), fc.array(tie('tree'), { maxLength: 4 }), fc.dictionary(key, tie('tree'), { maxKeys: 12 })),
    }));
    fc.assert(
      fc.property(tree, (value) => {
        const ordered = inCanonicalOrder(value);
        expect(JSON.stringify(ordered)).toBe(reference(value));
        expect(canonicalJson({ z: ordered, a: ordered })).toBe(reference({ z: value, a: value }));
      }),
      { numRuns: 500, seed: 18 },
    );
    // Once in order, a JSON-like value with named keys is not copied again: the rows that hold it write it as it is.
    // (Objects with integer-like, own __proto__ or toJSON keys and class instances are copied every time, as
    // canonicalJson always did.)
    const named = fc.stringMatching(/^[a-zA-Zé_]{0,4}$/u).filter((k) => k !== 'toJSON');
    const { plain } = fc.letrec((tie) => ({
      plain: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 0 }), fc.array(tie('plain'), { maxLength: 4 }), fc.dictionary(named, tie('plain'), { maxKeys: 12 })),
    }));
    fc.assert(
      fc.property(plain, (value) => {
        const ordered = inCanonicalOrder(value);
        expect(inCanonicalOrder(ordered)).toBe(ordered);
      }),
      { numRuns: 500, seed: 18 },
    );
    // The order path's objects: a spec in the schema's key order, a fill as a broker builds it.
    const spec = { symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 1, orderType: 'MKT', timeInForce: 'DAY', outsideRth: false, limitPrice: undefined };
    expect(Object.keys(inCanonicalOrder(spec))).toEqual(['action', 'orderType', 'outsideRth', 'quantity', 'securityType', 'symbol', 'timeInForce']);
    expect(JSON.stringify(inCanonicalOrder(spec))).toBe(canonicalJson(spec));
  });
});

describe('sha256Hex', () => {
  it('is SHA-256 in lower-case hex: the FIPS 180-2 vectors, and the streaming digest the stored hashes were made with', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const text = canonicalJson({ spec: { symbol: 'AAPL', note: 'é\u2028😀' }, accountId: 'DU1234567' }) as string;
    expect(sha256Hex(text)).toBe(createHash('sha256').update(text).digest('hex'));
    expect(hashOf({ accountId: 'DU1234567', spec: { symbol: 'AAPL', note: 'é\u2028😀' } })).toBe(sha256Hex(text));
  });
});
