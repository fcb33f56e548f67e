/**
 * Decimals of the numbers the simulator multiplies money by, made once.
 *
 * Prices, FX rates, multipliers and margin rates arrive as numbers, and
 * `decimal.times(number)` parses the number's text every time (about 1 µs,
 * more than the multiplication). The same few numbers come back order after
 * order (a price moves once a second, a multiplier never), so each one's
 * Decimal is remembered. A Decimal never changes, so sharing one is exact:
 * `x.times(decimalOf(n))` is `x.times(n)`.
 */
import { Decimal } from 'decimal.js';

export const ONE = new Decimal(1);

const known = new Map<number, Decimal>();
/** Bounded: cleared when full (a long run sees many prices; the next order simply makes its own again). */
const KNOWN_LIMIT = 4096;

/** The Decimal of `n`, as `new Decimal(n)` makes it. */
export function decimalOf(n: number): Decimal {
  // -0 and 0 are one key of a Map: -0 is made afresh, so it keeps its sign.
  if (Object.is(n, -0)) return new Decimal(n);
  let d = known.get(n);
  if (d === undefined) {
    d = new Decimal(n);
    if (known.size >= KNOWN_LIMIT) known.clear();
    known.set(n, d);
  }
  return d;
}

/**
 * `x / n`. Dividing by 1 only rounds to the precision, which every arithmetic result already has
 * (decimal.js rounds each one); a value with more digits (read from text) is still divided.
 */
export function dividedByNumber(x: Decimal, n: number): Decimal {
  return n === 1 && x.sd() <= Decimal.precision ? x : x.dividedBy(decimalOf(n));
}
