/**
 * Modifying a working order, IBKR's way: placeOrder again with the same order
 * id and the new version. IBKR answers with openOrder/orderStatus carrying the
 * new terms (accepted), or an error for the id: 104 (the order filled), 103
 * (a finished order's id), 105 (the new version does not match the order),
 * 201 (rejected, e.g. margin), 2102 (still being processed). A refusal leaves
 * the order working as it was; only the answer decides, so a modify racing a
 * fill settles on what IBKR says.
 *
 * Two cases are refused here without sending anything: an order IBKR has not
 * acknowledged yet (modify while pending), and a second modification while
 * one is in flight.
 */
import type { Order as IbOrder } from '@stoqey/ib';
import { BrokerConnectionError, GatewayError, OrderNotFoundError } from '../../core/errors.js';
import { TERMINAL_STATUSES, type OrderSpec } from '../../core/models.js';
import type { ModifyOrderAck, ModifyOrderRequest } from '../../core/broker/port.js';
import { specToIbPrices, specToIbTif } from '../../ibkr/order-map.js';
import type { TwsContext } from './context.js';
import { cloneState, type OrderBook, type TrackedOrder } from './order-book.js';
import { num, specToIbOrder, toIbContract } from './wire.js';

export async function modifyOrder(ctx: TwsContext, book: OrderBook, request: ModifyOrderRequest): Promise<ModifyOrderAck> {
  const { orderId, spec } = request;
  const t = book.find(orderId);
  if (!t) throw new OrderNotFoundError(orderId);
  const refuse = (message: string): ModifyOrderAck => ({ orderId, accepted: false, message, state: cloneState(t.state) });
  if (TERMINAL_STATUSES.has(t.state.status)) return refuse(`Cannot modify a ${t.state.status.toLowerCase()} order`);
  const numeric = Number(orderId);
  if (!Number.isSafeInteger(numeric) || numeric <= 0) return refuse(`Order ${orderId} was placed outside this API client; modify it in TWS`);
  if (t.state.status === 'PENDING_SUBMIT' || t.state.status === 'UNKNOWN') return refuse(`Order ${orderId} has not been acknowledged by IBKR yet; modify it once it is working`);
  if (t.modifying) return refuse(`A modification of order ${orderId} is still waiting for IBKR's answer`);
  const { conn, requestTimeoutMs } = ctx;
  if (!conn.usable) throw new BrokerConnectionError(`IB Gateway/TWS is ${conn.state}; the modification was not sent`);

  const order: IbOrder = specToIbOrder(spec, { account: request.accountId, orderRef: request.orderRef });
  if (t.state.parentOrderId !== null && Number(t.state.parentOrderId) > 0) order.parentId = Number(t.state.parentOrderId);
  let timer: ReturnType<typeof setTimeout> | null = null;
  const answered = new Promise<{ accepted: boolean; message: string | null } | 'timeout'>((resolve) => {
    t.modifying = { spec, settle: resolve };
    timer = setTimeout(() => resolve('timeout'), requestTimeoutMs);
    timer.unref();
  });
  try {
    await conn.send('placeOrder', (ib) => ib.placeOrder(numeric, toIbContract(request.contract), order));
  } catch (err) {
    t.modifying = null;
    if (timer) clearTimeout(timer);
    return refuse(`Not transmitted: ${err instanceof Error ? err.message : String(err)}`);
  }
  const answer = await answered;
  if (timer) clearTimeout(timer);
  t.modifying = null;
  if (answer === 'timeout') {
    throw new GatewayError('BROKER_ERROR', `No answer from IBKR to the modification of order ${orderId} within ${requestTimeoutMs} ms; it may or may not have been applied`, { orderId });
  }
  return { orderId, accepted: answer.accepted, message: answer.message, state: cloneState(t.state) };
}

const PRICE_EPSILON = 1e-9;
const priceOf = (v: unknown): number | null => {
  const n = num(v);
  return n === null || Math.abs(n) >= Number.MAX_VALUE / 2 ? null : n;
};
const samePrice = (a: number | null, b: number | null): boolean => (a === null || b === null ? a === b : Math.abs(a - b) < PRICE_EPSILON);

/** Whether an openOrder for this order shows the terms of the modification waiting for an answer. */
export function showsModification(t: TrackedOrder, order: IbOrder): OrderSpec | null {
  const pending = t.modifying;
  if (!pending) return null;
  const p = specToIbPrices(pending.spec);
  // Every changeable term must show: an openOrder sent for an earlier reason (a fill) carries the old ones.
  const same =
    num(order.totalQuantity) === pending.spec.quantity &&
    samePrice(priceOf(order.lmtPrice), p.lmtPrice) &&
    samePrice(priceOf(order.auxPrice), p.auxPrice) &&
    (order.tif === undefined || String(order.tif) === specToIbTif(pending.spec)) &&
    (order.outsideRth === undefined || order.outsideRth === pending.spec.outsideRth);
  return same ? pending.spec : null;
}
