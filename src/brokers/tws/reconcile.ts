/**
 * Reconciliation at every session start, before commands are served (the
 * connection is in state 'reconciling' meanwhile): order ids are synced above
 * nextValidId, the market data type is set again, open orders are listed
 * (reqAllOpenOrders), executions since the last one seen are fetched so fills
 * that happened while disconnected are reported (each execId once), orders that
 * ended while we were away are settled with the final status IBKR reports for
 * them (reqCompletedOrders), and quote streams are requested again.
 *
 * Also the search for an order whose acknowledgement never came: it is looked
 * for among open orders and executions, never resent.
 */
import { TERMINAL_STATUSES, type OrderStatus } from '../../core/models.js';
import type { BrokerOrderState } from '../../core/broker/port.js';
import type { MarketData } from './market-data.js';
import type { OrderBook } from './order-book.js';
import type { Completion } from './order-listings.js';
import type { Orders } from './orders.js';

/** Executions are asked for from a little before the last one seen: TWS filters by whole seconds in its own clock. */
const EXEC_OVERLAP_MS = 5 * 60_000;

export async function reconcile(orders: Orders, market: MarketData): Promise<{ open: number; fills: number }> {
  orders.ids.sync();
  await market.applyDataType();
  const open = await orders.listings.syncOpenOrders();
  const last = orders.executions.lastFillTime();
  const fills = await orders.executions.list(last ? { since: new Date(Date.parse(last) - EXEC_OVERLAP_MS).toISOString() } : {});
  // How orders that ended while we were away ended (expired, cancelled, filled); a gateway that cannot say leaves the guess below.
  const completed = await orders.listings.syncCompletedOrders().catch(() => undefined);
  settleMissing(orders.book, open, completed);
  await market.resubscribeAll();
  return { open: open.size, fills: fills.length };
}

/** A lost acknowledgement: look for the order among open orders and executions, without ever resending it. */
export async function findLostOrder(orders: Orders): Promise<void> {
  await orders.listings.syncOpenOrders();
  await orders.executions.list({});
}

/**
 * After a reconnect: orders we think are working that TWS no longer lists and
 * whose executions do not fill them ended while we were away. IBKR lists every
 * working order in reqAllOpenOrders, so an acknowledged order missing from it
 * is finished; an order never acknowledged stays as it is (the core's UNKNOWN).
 */
export function settleMissing(book: OrderBook, open: Set<string>, completed: Map<string, Completion> = new Map()): void {
  for (const t of book.entries()) {
    const s = t.state;
    if (TERMINAL_STATUSES.has(s.status) || open.has(s.orderId)) continue;
    const done = completed.get(s.orderId);
    if (done) {
      // IBKR says how it ended: its true final status, not a guess.
      const patch: Partial<BrokerOrderState> = { status: done.status, message: `Ended at IBKR while disconnected: ${done.completedStatus || done.status} (completed orders, at reconciliation)` };
      if (done.status === 'FILLED') {
        patch.filledQuantity = Math.max(s.filledQuantity, done.filledQuantity, s.spec.quantity);
        patch.remainingQuantity = 0;
      }
      book.update(s.orderId, patch);
      continue;
    }
    if (s.status === 'PENDING_SUBMIT' || s.status === 'UNKNOWN') {
      book.update(s.orderId, { message: 'Not found among IBKR open orders or executions at reconciliation; not resent' });
      continue;
    }
    const status: OrderStatus = s.filledQuantity >= s.spec.quantity ? 'FILLED' : 'CANCELLED';
    book.update(s.orderId, { status, message: status === 'FILLED' ? s.message : 'No longer working at IBKR (ended while disconnected; found at reconciliation)' });
  }
}
