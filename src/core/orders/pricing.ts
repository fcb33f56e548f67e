/**
 * Which price an order is measured at. Risk limits and what-if estimates need
 * one number per order: the limit (or stop) price when the order names one,
 * else the side of the book a market order would take.
 */
import type { OrderSpec, Quote } from '../models.js';

/** The price a buy would pay / a sell would get now, falling back to last and close. */
export function touchPrice(quote: Quote | null, action: OrderSpec['action']): number | null {
  if (!quote) return null;
  const side = action === 'BUY' ? quote.ask : quote.bid;
  return side ?? quote.last ?? quote.close ?? null;
}

/** Last trade, else the mid, else the previous close. */
export function lastPrice(quote: Quote | null): number | null {
  if (!quote) return null;
  if (quote.last !== null) return quote.last;
  if (quote.bid !== null && quote.ask !== null) return (quote.bid + quote.ask) / 2;
  return quote.close;
}

export function referencePrice(spec: OrderSpec, quote: Quote | null): number | null {
  if (spec.limitPrice !== undefined) return spec.limitPrice;
  if (spec.stopPrice !== undefined) return spec.stopPrice;
  return touchPrice(quote, spec.action);
}
