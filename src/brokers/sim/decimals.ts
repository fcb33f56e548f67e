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

// One memory of them for the whole process: the risk checks and the simulator multiply by the same numbers.
export { decimalOf, ONE } from '../../core/money.js';
import { decimalOf, ZERO } from '../../core/money.js';

/**
 * The Decimal of a decimal text an order record keeps (its filled value, USD value and commission so far):
 * '0', as every new order has them, is one shared zero rather than a parse; anything else is parsed.
 */
export function decimalOfText(text: string): Decimal {
  return text === '0' ? ZERO : new Decimal(text);
}

/** Whether `d` is exactly 1, read from decimal.js's documented digits (`d`, `e`, `s`). */
const isOne = (d: Decimal): boolean => d.s === 1 && d.e === 0 && d.d !== null && d.d.length === 1 && d.d[0] === 1;

/**
 * `x * y`. Multiplying by exactly 1 (a stock's multiplier, the rate of the account's own currency) only rounds to
 * the precision, which every arithmetic result and every number's Decimal already has: such an `x` is returned as
 * it is; a value with more digits (read from text) is still multiplied.
 */
export function times(x: Decimal, y: Decimal): Decimal {
  return isOne(y) && x.sd() <= Decimal.precision ? x : x.times(y);
}

/**
 * `x / n`. Dividing by 1 only rounds to the precision, which every arithmetic result already has
 * (decimal.js rounds each one); a value with more digits (read from text) is still divided.
 */
export function dividedByNumber(x: Decimal, n: number): Decimal {
  return n === 1 && x.sd() <= Decimal.precision ? x : x.dividedBy(decimalOf(n));
}
