/**
 * Checks on money: order notional, position notional, gross exposure, the
 * price band and the daily loss. A check that cannot compute its value (no
 * price at all) FAILS and says why: passing an order whose size in money is
 * unknown would make the limit meaningless exactly when quotes are missing.
 */
import { Decimal } from 'decimal.js';
import type { RiskLimits } from '../config.js';
import type { AccountPnL, RiskCheck } from '../models.js';
import { decimalOf, toCents, ZERO } from '../money.js';
import { check } from './checks.js';
import { notionalOf, shrinksPosition, type Exposure } from './exposure.js';
import type { RiskInput } from './types.js';

export const unknownPrice = (input: RiskInput): string =>
  `notional unknown: no quote or last price for ${input.contract.symbol} and the order names no price; supply a limit price (LMT) or retry when market data is available`;

export function checkOrderNotional(input: RiskInput, l: RiskLimits, e: Exposure): RiskCheck {
  const n = notionalOf(e, input.spec.quantity);
  if (n === null) return check('maxOrderNotional', false, null, l.maxOrderNotional, unknownPrice(input));
  const ok = n.lessThanOrEqualTo(decimalOf(l.maxOrderNotional));
  const cents = toCents(n);
  const at = `at ${e.priceSource} ${e.price?.toString()}${e.multiplier.equals(1) ? '' : ` x multiplier ${e.multiplier.toString()}`}${e.conversion}`;
  return check('maxOrderNotional', ok, cents, l.maxOrderNotional, ok ? `order notional ${cents} ${at} is within ${l.maxOrderNotional}` : `order notional ${cents} ${at} exceeds MAX_ORDER_NOTIONAL ${l.maxOrderNotional}`);
}

/** Position notional after the order and every same-side working order; an order that only shrinks the position always passes. */
export function checkPositionNotional(input: RiskInput, l: RiskLimits, e: Exposure): RiskCheck {
  const n = e.afterNotional;
  if (n === null) return check('maxPositionNotional', false, null, l.maxPositionNotional, unknownPrice(input));
  const cents = toCents(n);
  if (shrinksPosition(e)) return check('maxPositionNotional', true, cents, l.maxPositionNotional, `the order reduces the position (notional after: ${cents})`);
  const ok = n.lessThanOrEqualTo(decimalOf(l.maxPositionNotional));
  const what = `position notional in ${input.contract.symbol} after the order (with working orders) would be ${cents}`;
  return check('maxPositionNotional', ok, cents, l.maxPositionNotional, ok ? `${what}, within ${l.maxPositionNotional}` : `${what}, above MAX_POSITION_NOTIONAL ${l.maxPositionNotional}`);
}

/**
 * Gross exposure after the order: the account's gross position value, with
 * this instrument's part replaced by its value after the order, plus working
 * orders in other instruments whose notional the caller supplied. `raises`:
 * whether the order adds to it (an order that does not always passes, so an
 * over-limit book can still be reduced). Null when no price is known.
 */
export function grossAfterOrder(input: RiskInput, e: Exposure): { gross: Decimal; raises: boolean } | null {
  const afterHere = e.afterNotional;
  if (afterHere === null) return null;
  let nowHere = ZERO;
  for (const p of input.positions) {
    if (p.conId === input.contract.conId && p.accountId === input.accountId) nowHere = nowHere.plus(p.marketValue !== null ? new Decimal(p.marketValue).abs() : (notionalOf(e, p.quantity) ?? ZERO));
  }
  let elsewhere = ZERO;
  for (const w of input.workingOrders) if (w.conId !== input.contract.conId) elsewhere = elsewhere.plus(Math.abs(w.notional ?? 0));
  // Account figures move with every fill and price: made afresh (decimalOf keeps numbers that come back).
  const gross = new Decimal(input.summary.grossPositionValue).abs().minus(nowHere).plus(afterHere).plus(elsewhere);
  const raises = afterHere.greaterThan(notionalOf(e, e.position) ?? ZERO) && !shrinksPosition(e);
  return { gross, raises };
}

export function checkGrossExposure(input: RiskInput, l: RiskLimits, e: Exposure): RiskCheck {
  const after = grossAfterOrder(input, e);
  if (after === null) return check('maxGrossExposure', false, null, l.maxGrossExposure, unknownPrice(input));
  const { gross, raises } = after;
  const cents = toCents(gross);
  if (!raises) return check('maxGrossExposure', true, cents, l.maxGrossExposure, `the order does not raise gross exposure (${cents} after)`);
  const ok = gross.lessThanOrEqualTo(decimalOf(l.maxGrossExposure));
  return check('maxGrossExposure', ok, cents, l.maxGrossExposure, ok ? `gross exposure after the order ${cents} is within ${l.maxGrossExposure}` : `gross exposure after the order ${cents} exceeds MAX_GROSS_EXPOSURE ${l.maxGrossExposure}`);
}

/** Largest distance of the order's limit/stop price from the last price, in percent. */
export function checkPriceBand(input: RiskInput, l: RiskLimits): RiskCheck {
  const prices = [input.spec.limitPrice, input.spec.stopPrice].filter((p): p is number => p !== undefined);
  if (prices.length === 0) return check('priceBand', true, null, l.priceBandPercent, `${input.spec.orderType} order names no limit or stop price: nothing to band`);
  if (input.lastPrice === null || !(input.lastPrice > 0)) {
    return check('priceBand', false, null, l.priceBandPercent, `no last price for ${input.contract.symbol} to check the limit/stop price against; retry when market data is available`);
  }
  const last = new Decimal(input.lastPrice);
  const worst = prices.map((p) => new Decimal(p).minus(last).abs().dividedBy(last).times(100)).reduce((a, b) => Decimal.max(a, b));
  const pct = worst.toDecimalPlaces(4).toNumber();
  const ok = worst.lessThanOrEqualTo(l.priceBandPercent);
  return check('priceBand', ok, pct, l.priceBandPercent, ok ? `price is ${pct}% from last ${input.lastPrice}, within ${l.priceBandPercent}%` : `price is ${pct}% from last ${input.lastPrice}, beyond PRICE_BAND_PERCENT ${l.priceBandPercent}%`);
}

/**
 * Today's loss: the negative of realised + unrealised P&L (0 when in profit).
 * With a store, the engine passes the realised P&L of the risk day's fills
 * from the order history (durable, the same in every process, and never a
 * baseline captured at some first look after the reset, which would hide the
 * losses made before that look); without one, the broker's realised figure.
 */
export function dailyLoss(pnl: AccountPnL): Decimal {
  return Decimal.max(ZERO, new Decimal(pnl.realizedPnl).plus(pnl.unrealizedPnl).negated());
}

/** Reaching the limit (not only passing it) fails: the interface defines the limit as the loss at which trading stops. */
export function checkDailyLoss(loss: Decimal, l: RiskLimits): RiskCheck {
  const ok = loss.lessThan(decimalOf(l.maxDailyLoss));
  const cents = toCents(loss);
  return check('maxDailyLoss', ok, cents, l.maxDailyLoss, ok ? `loss today ${cents} is below ${l.maxDailyLoss}` : `loss today ${cents} has reached MAX_DAILY_LOSS ${l.maxDailyLoss}: new orders are blocked until the broker's daily P&L resets (risk day starts at DAILY_LOSS_RESET_TIME ${l.dailyLossResetTime} New York)`);
}
