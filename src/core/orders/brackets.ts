/**
 * A bracket order is three orders to the broker: the entry, a take-profit
 * limit and a stop-loss stop, both on the other side, sharing one OCA group
 * so that when one fills the other is cancelled. Both children activate only
 * when the entry fills.
 */
import type { OrderSpec } from '../models.js';

export interface PlannedOrder {
  role: 'ENTRY' | 'TAKE_PROFIT' | 'STOP_LOSS';
  spec: OrderSpec;
}

export function bracketChildren(spec: OrderSpec): PlannedOrder[] {
  const planned: PlannedOrder[] = [{ role: 'ENTRY', spec }];
  // Most orders are no bracket: the children's spec (a rest copy without four keys, then a spread) is made only for one.
  if (spec.takeProfitPrice === undefined && spec.stopLossPrice === undefined) return planned;
  const exit = spec.action === 'BUY' ? 'SELL' : 'BUY';
  const { takeProfitPrice, stopLossPrice, clientOrderId: _c, limitPrice: _l, ...instrument } = spec;
  const child = { ...instrument, action: exit, timeInForce: 'GTC' } as const;
  if (takeProfitPrice !== undefined) {
    planned.push({ role: 'TAKE_PROFIT', spec: { ...child, orderType: 'LMT', limitPrice: takeProfitPrice } });
  }
  if (stopLossPrice !== undefined) {
    planned.push({ role: 'STOP_LOSS', spec: { ...child, orderType: 'STP', stopPrice: stopLossPrice } });
  }
  return planned;
}
