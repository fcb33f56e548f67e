import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { toCents } from './money.js';

/** What toCents returned before it read the digits: round half up to cents, then parse the text. */
const throughText = (v: Decimal): number => v.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toNumber();

/** A seeded stream of decimal texts of 1 to 25 digits, signed, with the point anywhere. */
function* texts(count: number): Generator<string> {
  let seed = 12345;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < count; i++) {
    const digits = next(25) + 1;
    let s = '';
    for (let j = 0; j < digits; j++) s += String(next(10));
    const point = next(digits + 1);
    yield `${next(2) ? '-' : ''}${s.slice(0, point) || '0'}.${s.slice(point) || '0'}`;
  }
}

describe('toCents: money leaves the core as a number of cents', () => {
  it('rounds half away from zero', () => {
    expect(toCents('0.005')).toBe(0.01);
    expect(toCents('-0.005')).toBe(-0.01);
    expect(toCents('0.00499999')).toBe(0);
    expect(toCents('2.675')).toBe(2.68);
    expect(toCents(new Decimal('1234567.125'))).toBe(1234567.13);
    expect(toCents(0.1 + 0.2)).toBe(0.3);
  });

  it('is exactly the number the rounded decimal text parses to, for every size, sign and edge', () => {
    const edges = ['0', '-0', '-0.001', '1e-30', '0.07', '0.1', '10000000', '100000.01', '9999999.995', '99999999999.995', '999999999999.994', '9999999999999.995', '1e12', '1e13', '123456789012345.678', '1e21', '-1e21'];
    for (const text of [...edges, ...texts(50_000)]) {
      const v = new Decimal(text);
      expect(Object.is(toCents(v), throughText(v)), text).toBe(true);
    }
    expect(Object.is(toCents('-0.001'), -0)).toBe(true);
  });

  it('gives a value already at cents (most money figures) as the number rounding it would give', () => {
    const atCents = [...texts(20_000)].map((t) => new Decimal(t).toDecimalPlaces(2, Decimal.ROUND_DOWN));
    // Arithmetic results too: prices times whole quantities, sums of cents, and their negations.
    for (let i = 1; i < 2_000; i++) atCents.push(new Decimal(i).times('253.94'), new Decimal('0.01').times(i).plus('999999865312.83'), new Decimal(i).times('-187.5'));
    for (const v of atCents) {
      expect(v.decimalPlaces()).toBeLessThanOrEqual(2);
      expect(Object.is(toCents(v), throughText(v)), v.toString()).toBe(true);
    }
  });

  it('passes NaN and infinities through as numbers', () => {
    expect(toCents(new Decimal(NaN))).toBeNaN();
    expect(toCents(new Decimal(Infinity))).toBe(Infinity);
    expect(toCents(new Decimal(-Infinity))).toBe(-Infinity);
  });
});
