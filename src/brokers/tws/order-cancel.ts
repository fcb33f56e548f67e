/**
 * Cancelling an order: cancelOrder, then wait (up to the request timeout) until
 * the order ended or IBKR refused the cancel; the caller gets the state as it
 * then stands. Orders placed outside this API client cannot be cancelled here.
 */
import { BrokerConnectionError, GatewayError, OrderNotFoundError } from '../../core/errors.js';
import { TERMINAL_STATUSES } from '../../core/models.js';
import type { BrokerOrderState } from '../../core/broker/port.js';
import type { TwsContext } from './context.js';
import { cloneState, type OrderBook } from './order-book.js';

export async function cancelOrder(ctx: TwsContext, book: OrderBook, orderId: string): Promise<BrokerOrderState> {
  const t = book.find(orderId);
  if (!t) throw new OrderNotFoundError(orderId);
  if (TERMINAL_STATUSES.has(t.state.status)) return cloneState(t.state);
  const numeric = Number(orderId);
  if (!Number.isSafeInteger(numeric) || numeric <= 0) {
    throw new GatewayError('ORDER_NOT_CANCELLABLE', `Order ${orderId} was placed outside this API client; cancel it in TWS`, { orderId });
  }
  const { conn, requestTimeoutMs } = ctx;
  if (!conn.usable) throw new BrokerConnectionError(`IB Gateway/TWS is ${conn.state}; the cancel was not sent`);
  const settled = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, requestTimeoutMs);
    timer.unref();
    t.changed.push(() => {
      if (TERMINAL_STATUSES.has(t.state.status) || t.state.message?.startsWith('Cancel refused') === true) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await conn.send('cancelOrder', (ib) => ib.cancelOrder(numeric));
  await settled;
  return cloneState(t.state);
}
