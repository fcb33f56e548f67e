import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { decimalOf, dividedByNumber, times } from './decimals.js';

describe('decimals made once for the numbers money is multiplied by', () => {
  it('decimalOf(n) is new Decimal(n), asked once or many times, past its memory', () => {
    const numbers = [0, 1, 187.23, 0.1 + 0.2, 1e-7, 123456789.123456, 5e21, -42.5, Number.MAX_SAFE_INTEGER];
    for (let i = 0; i < 5000; i += 1) numbers.push(i / 7);
    for (const n of [...numbers, ...numbers]) expect(decimalOf(n).eq(new Decimal(n)) && decimalOf(n).toString() === new Decimal(n).toString()).toBe(true);
  });

  it('keeps the sign of -0 even after 0 was remembered', () => {
    expect(decimalOf(0).isNegative()).toBe(false);
    expect(decimalOf(-0).isNegative()).toBe(true);
    expect(Object.is(decimalOf(-0).toNumber(), -0)).toBe(true);
  });

  it('dividedByNumber is dividedBy: by 1 it returns a rounded result as it is, and still rounds a value with more digits', () => {
    const arithmetic = new Decimal('10').dividedBy(3);
    expect(dividedByNumber(arithmetic, 1)).toBe(arithmetic);
    const long = new Decimal('1.23456789012345678901234567');
    expect(dividedByNumber(long, 1).toString()).toBe(long.dividedBy(1).toString());
    expect(dividedByNumber(long, 1).toString()).not.toBe(long.toString());
    expect(dividedByNumber(new Decimal('7.5'), 2.5).toString()).toBe('3');
  });

  it('times is x.times(y): by exactly 1 it returns a rounded value as it is, and still rounds a value with more digits', () => {
    const values = [new Decimal(0), new Decimal(-0), new Decimal('253.94').times(523), new Decimal(10).dividedBy(3), new Decimal('-1e-30'), new Decimal('1.23456789012345678901234567'), new Decimal('1e40')];
    for (let i = 1; i < 2000; i++) values.push(decimalOf(i / 7).times(decimalOf(i * 3.3)), new Decimal(String(i)).minus('0.005'));
    const ones = [decimalOf(1), new Decimal('1'), new Decimal('1.000'), new Decimal(10).dividedBy(10)];
    for (const x of values) {
      for (const one of ones) {
        const want = x.times(one);
        expect(times(x, one).toString()).toBe(want.toString());
        expect(Object.is(times(x, one).isNeg(), want.isNeg())).toBe(true);
      }
      for (const y of [new Decimal(2), new Decimal('1.0000001'), new Decimal(-1), new Decimal('0.1')]) expect(times(x, y).toString()).toBe(x.times(y).toString());
    }
    const arithmetic = new Decimal('253.94').times(523);
    expect(times(arithmetic, decimalOf(1))).toBe(arithmetic);
    const long = new Decimal('1.23456789012345678901234567');
    expect(times(long, decimalOf(1)).toString()).not.toBe(long.toString());
  });
});
