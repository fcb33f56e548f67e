/**
 * What an order would do to the book, computed once per evaluation with
 * decimal arithmetic and shared by the notional, position, gross-exposure and
 * reduce-only checks.
 *
 * Working orders count against the side they extend and are never netted
 * against the other side: an opposing working order may be cancelled, a
 * same-side one may fill, so the conservative view is "all same-side working
 * orders fill, no opposing one does".
 */
import { Decimal } from 'decimal.js';
import { decimalOf, ONE, ZERO } from '../money.js';
import type { RiskInput } from './types.js';

export interface Exposure {
  /** Price used for notionals, or null when no price is known at all. */
  price: Decimal | null;
  /** Where `price` came from, for messages. */
  priceSource: string;
  multiplier: Decimal;
  /** Account (base) currency per unit of the contract's currency: notionals are counted in the account's currency. */
  toBase: Decimal;
  /** How `toBase` was found, for messages ('' when the contract is in the account's currency). */
  conversion: string;
  /** Signed position now (negative: short). */
  position: Decimal;
  /** +1 for BUY, -1 for SELL. */
  direction: 1 | -1;
  /** Signed position if every same-side working order filled, before this order. */
  before: Decimal;
  /** `before` plus this order. */
  after: Decimal;
  /** notionalOf(this, after): the position and gross-exposure checks both read it. */
  afterNotional: Decimal | null;
}

/**
 * The notional price is the highest of the reference price and the order's
 * own limit/stop prices, so the notional is never understated (a sell limit
 * can fill above its limit; a stop triggers near its stop). The last price is
 * a fallback only when the order names no price and there is no touch.
 */
function notionalPrice(input: RiskInput): { price: Decimal | null; source: string } {
  const { spec } = input;
  const named: Array<[number | null | undefined, string]> = [
    [input.referencePrice, 'reference price'],
    [spec.limitPrice, 'limit price'],
    [spec.stopPrice, 'stop price'],
  ];
  let best: { price: Decimal | null; source: string } = { price: null, source: 'none' };
  for (const [value, source] of named) {
    if (value === null || value === undefined || !(value > 0)) continue;
    if (best.price === null || best.price.lessThan(decimalOf(value))) best = { price: decimalOf(value), source };
  }
  if (best.price === null && input.lastPrice !== null && input.lastPrice > 0) return { price: decimalOf(input.lastPrice), source: 'last price' };
  return best;
}

/**
 * The rate that turns the contract's currency into the account's: 1 for the
 * same currency; for an FX pair whose base is the account's currency
 * (USD.JPY in a USD account) the pair's own price, since its quantity is
 * already in the account's currency; otherwise the rate the broker reports
 * with the account's cash balances. Without any of these the notional stays
 * in the contract's currency, and the message says so.
 */
function conversionToBase(input: RiskInput, price: Decimal | null): { toBase: Decimal; conversion: string } {
  const { contract, summary } = input;
  const base = summary.currency;
  if (contract.currency === base) return { toBase: ONE, conversion: '' };
  const [pairBase, pairQuote] = contract.securityType === 'CASH' ? contract.symbol.split('.') : [];
  if (pairBase === base && pairQuote === contract.currency && price !== null && price.gt(0)) {
    return { toBase: ONE.dividedBy(price), conversion: ` in ${base} (the quantity is ${base})` };
  }
  const rate = summary.cashBalances?.find((b) => b.currency === contract.currency)?.rate;
  if (rate !== undefined && rate > 0) return { toBase: decimalOf(rate), conversion: ` in ${base} at ${rate} ${base}/${contract.currency}` };
  return { toBase: ONE, conversion: ` in ${contract.currency} (no ${contract.currency}/${base} rate known)` };
}

export function computeExposure(input: RiskInput): Exposure {
  const { spec, contract } = input;
  const direction = spec.action === 'BUY' ? 1 : -1;
  let position = ZERO;
  for (const p of input.positions) if (p.conId === contract.conId && p.accountId === input.accountId) position = position.plus(decimalOf(p.quantity));
  let sameSide = ZERO;
  for (const w of input.workingOrders) if (w.conId === contract.conId && w.action === spec.action) sameSide = sameSide.plus(decimalOf(w.remainingQuantity));
  // Adding or subtracting is the same value as adding the product by +1 or -1 (both exact), without the product.
  const before = direction === 1 ? position.plus(sameSide) : position.minus(sameSide);
  const { price, source } = notionalPrice(input);
  const quantity = decimalOf(spec.quantity);
  const { toBase, conversion } = conversionToBase(input, price);
  // One object, in the same key order as before: no copies of a partial exposure to add its last field.
  const e: Exposure = {
    price,
    priceSource: source,
    multiplier: decimalOf(contract.multiplier ?? 1),
    toBase,
    conversion,
    position,
    direction,
    before,
    after: direction === 1 ? before.plus(quantity) : before.minus(quantity),
    afterNotional: null,
  };
  e.afterNotional = notionalOf(e, e.after);
  return e;
}

/** |quantity| x price x multiplier in the account's currency, or null when the price is unknown. */
export function notionalOf(e: Pick<Exposure, 'price' | 'multiplier' | 'toBase'>, quantity: Decimal.Value): Decimal | null {
  if (e.price === null) return null;
  const n = (quantity instanceof Decimal ? quantity : typeof quantity === 'number' ? decimalOf(quantity) : new Decimal(quantity)).abs().times(e.price);
  // A product is already rounded to the precision, so multiplying it by exactly 1 (a stock's multiplier, the
  // account's own currency) gives it back unchanged: those two products are skipped.
  const m = e.multiplier.eq(ONE) ? n : n.times(e.multiplier);
  return e.toBase.eq(ONE) ? m : m.times(e.toBase);
}

/** True when the order moves the position toward zero without crossing it. */
export function shrinksPosition(e: Exposure): boolean {
  return !e.before.isZero() && e.after.abs().lessThanOrEqualTo(e.before.abs()) && (e.after.isZero() || e.after.isPositive() === e.before.isPositive());
}
