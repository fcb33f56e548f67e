/**
 * Money arithmetic. Cash, commissions and P&L are summed with decimal.js,
 * never with floats; values leave the core as numbers rounded to cents.
 */
import { Decimal } from 'decimal.js';

export { Decimal };
export type DecimalLike = Decimal.Value;

export const dec = (v: DecimalLike): Decimal => new Decimal(v);

export const ZERO = new Decimal(0);
export const ONE = new Decimal(1);

/*
 * The Decimals of the numbers money is multiplied by and compared with, made once. Prices, rates,
 * multipliers, limits and reported figures arrive as numbers, and `decimal.times(number)` (or `.lte`,
 * `.plus`, `new Decimal(number)`) parses the number's text every time: more than the arithmetic. The same
 * numbers come back order after order (a limit never moves, a price once a second), so each one's Decimal is
 * remembered. A Decimal never changes, so sharing one is exact: `x.times(decimalOf(n))` is `x.times(n)`.
 */
const known = new Map<number, Decimal>();
/** Bounded: cleared when full (a long run sees many prices; the next call simply makes its own again). */
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

/** Sum of any number of amounts, exactly. */
export const sum = (values: Iterable<DecimalLike>): Decimal => {
  let total = new Decimal(0);
  for (const v of values) total = total.plus(v);
  return total;
};

/**
 * Rounds to cents (half away from zero, as brokers print statements) and returns a number for the API. A Decimal is
 * not copied first, and one with at most two decimal places (most money figures: cash, commissions, prices times
 * whole quantities) is not rounded either: toDecimalPlaces would return a new Decimal of the very same value.
 */
export const toCents = (v: DecimalLike): number => {
  const d = v instanceof Decimal ? v : new Decimal(v);
  const rounded = d.isFinite() && d.decimalPlaces() <= 2 ? d : d.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
  return centsToNumber(rounded) ?? rounded.toNumber();
};

/**
 * The number of a Decimal already rounded to cents, read from its digits (decimal.js's documented `d`,
 * `e` and `s`: base 1e7 limbs aligned on exponents that are multiples of 7) instead of through its text,
 * which was most of toCents' cost (an account summary rounds a dozen figures). Whole cents below 1e15 are
 * exact doubles and `cents / 100` is correctly rounded, so this is the number `toNumber()` parses from
 * the text. Null (the caller parses the text) when the value is not finite or 1e13 or more.
 */
function centsToNumber(r: Decimal): number | null {
  const limbs = r.d as number[] | null;
  if (!limbs || r.e > 12) return null;
  const top = Math.floor(r.e / 7);
  let cents = 0;
  for (let i = 0; i < limbs.length; i++) {
    const power = 7 * (top - i) + 2;
    const limb = limbs[i] ?? 0;
    const part = power >= 0 ? limb * 10 ** power : limb / 10 ** -power;
    if (!Number.isInteger(part)) return null;
    cents += part;
  }
  return r.s < 0 ? -cents / 100 : cents / 100;
}

/** Rounds a price to the instrument's tick. */
export const roundToTick = (price: DecimalLike, tick: DecimalLike): number => {
  const t = new Decimal(tick);
  return new Decimal(price).dividedBy(t).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).times(t).toNumber();
};
