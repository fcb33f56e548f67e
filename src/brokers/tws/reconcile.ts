/**
 * Reconciliation at every session start, before commands are served (the
 * connection is in state 'reconciling' meanwhile): the market data type is set
 * again, open orders are listed (reqAllOpenOrders), executions since the last
 * one seen are fetched so fills that happened while disconnected are reported
 * (each execId once), orders that ended while we were away are settled with
 * the final status IBKR reports for them (reqCompletedOrders), and
 * quote streams are requested again.
 */
import type { MarketData } from './market-data.js';
import type { Orders } from './orders.js';

/** Executions are asked for from a little before the last one seen: TWS filters by whole seconds in its own clock. */
const EXEC_OVERLAP_MS = 5 * 60_000;

export async function reconcile(orders: Orders, market: MarketData): Promise<{ open: number; fills: number }> {
  orders.syncIds();
  await market.applyDataType();
  const open = await orders.syncOpenOrders();
  const last = orders.lastFillTime();
  const fills = await orders.executions(last ? { since: new Date(Date.parse(last) - EXEC_OVERLAP_MS).toISOString() } : {});
  // How orders that ended while we were away ended (expired, cancelled, filled); a gateway that cannot say leaves the guess below.
  const completed = await orders.syncCompletedOrders().catch(() => undefined);
  orders.settleMissing(open, completed);
  await market.resubscribeAll();
  return { open: open.size, fills: fills.length };
}

/** A lost acknowledgement: look for the order among open orders and executions, without ever resending it. */
export async function findLostOrder(orders: Orders): Promise<void> {
  await orders.syncOpenOrders();
  await orders.executions({});
}
