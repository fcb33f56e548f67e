/**
 * Money arithmetic. Cash, commissions and P&L are summed with decimal.js,
 * never with floats; values leave the core as numbers rounded to cents.
 */
import { Decimal } from 'decimal.js';

export { Decimal };
export type DecimalLike = Decimal.Value;

export const dec = (v: DecimalLike): Decimal => new Decimal(v);

/** Sum of any number of amounts, exactly. */
export const sum = (values: Iterable<DecimalLike>): Decimal => {
  let total = new Decimal(0);
  for (const v of values) total = total.plus(v);
  return total;
};

/** Rounds to cents (half away from zero, as brokers print statements) and returns a number for the API. A Decimal is not copied first: toDecimalPlaces makes a new one. */
export const toCents = (v: DecimalLike): number => (v instanceof Decimal ? v : new Decimal(v)).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toNumber();

/** Rounds a price to the instrument's tick. */
export const roundToTick = (price: DecimalLike, tick: DecimalLike): number => {
  const t = new Decimal(tick);
  return new Decimal(price).dividedBy(t).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).times(t).toNumber();
};
