/**
 * Small translations between the broker's view of an order, order_history
 * versions and the results the API returns.
 */
import type { BrokerOrderState } from '../broker/port.js';
import type { OrderVersionInput } from '../audit/types.js';
import { Decimal, decimalOf, toCents } from '../money.js';
import type { AuditEventType, Fill, OrderDetail, OrderResult, OrderStatus } from '../models.js';

export const EVENT_FOR_STATUS: Record<OrderStatus, AuditEventType> = {
  SIMULATED: 'ORDER_SIMULATED',
  PENDING_SUBMIT: 'ORDER_SUBMITTED',
  SUBMITTED: 'ORDER_SUBMITTED',
  ACCEPTED: 'ORDER_ACCEPTED',
  PARTIALLY_FILLED: 'ORDER_PARTIALLY_FILLED',
  FILLED: 'ORDER_FILLED',
  CANCELLED: 'ORDER_CANCELLED',
  REJECTED: 'ORDER_REJECTED',
  EXPIRED: 'ORDER_EXPIRED',
  UNKNOWN: 'ORDER_UNKNOWN',
  PENDING_APPROVAL: 'APPROVAL_PENDING',
  APPROVED: 'APPROVAL_APPROVED',
};

/** Total commission of a set of fills, summed exactly (one fill's is its own: 0 plus it is it, exactly; -0 plus 0 is 0). */
export const commissionOf = (fills: ReadonlyArray<Pick<Fill, 'commission'>>): number | null => {
  if (fills.length === 0) return null;
  const only = fills.length === 1 ? fills[0] : undefined;
  if (only !== undefined && only.commission !== 0) return toCents(decimalOf(only.commission));
  return toCents(fills.reduce((acc, f) => acc.plus(decimalOf(f.commission)), new Decimal(0)));
};

/**
 * Whether `n`'s decimal text (the digits `new Decimal(n)` reads) has at most six places after the point.
 * Then rounding n to six places gives n back.
 */
const atMostSixPlaces = (n: number): boolean => {
  const text = String(n);
  const point = text.indexOf('.');
  return !text.includes('e') && (point < 0 || text.length - point - 1 <= 6);
};

/**
 * Volume-weighted average fill price, exact until the final rounding (to six places). Most orders fill
 * once, and one fill's average is its price: price x q / q is the price again (to the precision's last
 * digit, which rounding to six places drops), so a price with at most six places is its own answer.
 * This was most of the cost of recording a fill (issue 18).
 */
export const avgPriceOf = (fills: ReadonlyArray<Pick<Fill, 'quantity' | 'price'>>): number | null => {
  if (fills.length === 0) return null;
  const only = fills.length === 1 ? fills[0] : undefined;
  if (only !== undefined && only.quantity > 0 && only.price !== 0 && atMostSixPlaces(only.price)) return only.price;
  let qty = new Decimal(0);
  let value = new Decimal(0);
  for (const f of fills) {
    const q = decimalOf(f.quantity);
    qty = qty.plus(q);
    value = value.plus(decimalOf(f.price).times(q));
  }
  return value.dividedBy(qty).toDecimalPlaces(6).toNumber();
};

/** The next order_history version from the current one and what the broker says now. */
export function versionFrom(current: OrderDetail, update: Partial<Pick<OrderVersionInput, 'status' | 'filledQuantity' | 'remainingQuantity' | 'avgFillPrice' | 'statusMessage'>>, fills: Fill[], correlationId: string): OrderVersionInput {
  return {
    orderId: current.orderId,
    clientOrderId: current.clientOrderId,
    parentOrderId: current.parentOrderId,
    role: current.role,
    accountId: current.accountId,
    conId: current.conId,
    status: update.status ?? current.status,
    spec: current.spec,
    filledQuantity: update.filledQuantity ?? current.filledQuantity,
    remainingQuantity: update.remainingQuantity ?? current.remainingQuantity,
    avgFillPrice: update.avgFillPrice !== undefined ? update.avgFillPrice : current.avgFillPrice,
    commission: commissionOf(fills) ?? current.commission,
    fills,
    statusMessage: update.statusMessage !== undefined ? update.statusMessage : current.statusMessage,
    correlationId,
    createdAt: current.createdAt,
    brokerIdentity: current.brokerIdentity,
  };
}

/** A first version for an order the gateway did not place (seen at reconciliation). */
export function versionFromBroker(state: BrokerOrderState, fills: Fill[], correlationId: string, brokerIdentity: string): OrderVersionInput {
  return {
    orderId: state.orderId,
    clientOrderId: null,
    parentOrderId: state.parentOrderId,
    role: state.role,
    accountId: state.accountId,
    conId: state.conId,
    status: state.status,
    spec: state.spec,
    filledQuantity: state.filledQuantity,
    remainingQuantity: state.remainingQuantity,
    avgFillPrice: state.avgFillPrice,
    commission: commissionOf(fills) ?? state.commission,
    fills,
    statusMessage: state.message,
    correlationId,
    brokerIdentity,
    expectNew: true,
  };
}

export function detailFromBroker(state: BrokerOrderState): OrderDetail {
  return {
    orderId: state.orderId,
    clientOrderId: state.orderRef,
    parentOrderId: state.parentOrderId,
    role: state.role,
    accountId: state.accountId,
    status: state.status,
    spec: state.spec,
    conId: state.conId,
    filledQuantity: state.filledQuantity,
    remainingQuantity: state.remainingQuantity,
    avgFillPrice: state.avgFillPrice,
    commission: state.commission,
    fills: [],
    statusMessage: state.message,
    createdAt: state.updatedAt,
    updatedAt: state.updatedAt,
    version: 0,
    brokerIdentity: null,
  };
}

export function resultFrom(parent: OrderDetail, children: OrderDetail[], correlationId: string, message: string | null): OrderResult {
  return {
    orderId: parent.orderId,
    clientOrderId: parent.clientOrderId,
    status: parent.status,
    spec: parent.spec,
    accountId: parent.accountId,
    filledQuantity: parent.filledQuantity,
    avgFillPrice: parent.avgFillPrice,
    commission: parent.commission,
    children: children.map((c) => ({ orderId: c.orderId, role: c.role === 'TAKE_PROFIT' ? 'TAKE_PROFIT' : 'STOP_LOSS', status: c.status })),
    message,
    correlationId,
    placedAt: parent.createdAt,
    idempotentReplay: false,
  };
}
