/**
 * The stored rows of the three chained tables, column for column, and their
 * conversions to the API's models. Back-end neutral: SQLite (sqlite/) and
 * PostgreSQL (postgres/, bigint read as a number, see connection.ts) store
 * and return exactly these shapes, which is what lets the hashes agree and
 * `audit migrate` copy a chain as it is. Building a new row: row-builders.ts.
 */
import type { AuditEntry, AuditEventType, Fill, OrderDetail, OrderEvent, OrderEventKind, OrderSpecOutput, OrderStatus, UserContext } from '../models.js';
import { fromJsonText } from './json.js';

export interface AuditRow {
  id: number;
  correlation_id: string;
  timestamp: string;
  event_type: string;
  event_data: string;
  user_context: string;
  account_id: string | null;
  order_id: string | null;
  symbol: string | null;
  config_snapshot: string | null;
  prev_hash: string;
  hash: string;
}

export interface HistoryRow {
  id: number;
  order_id: string;
  version: number;
  client_order_id: string | null;
  parent_order_id: string | null;
  role: string;
  account_id: string | null;
  con_id: number | null;
  symbol: string;
  status: string;
  spec: string;
  filled_quantity: number;
  remaining_quantity: number;
  avg_fill_price: number | null;
  commission: number | null;
  fills: string;
  status_message: string | null;
  correlation_id: string;
  created_at: string;
  updated_at: string;
  audit_id: number;
  prev_hash: string;
  hash: string;
  broker_identity: string | null;
  placed_seq: number | null;
  risk_key: string | null;
}

export interface StateLogRow {
  id: number;
  timestamp: string;
  correlation_id: string | null;
  kind: string;
  name: string;
  key: string;
  change: string;
  owner: string | null;
  request_hash: string | null;
  value: string | null;
  prev_hash: string;
  hash: string;
}

/** An order_history row read as an order event: joined with its audit row and the version before it. */
export interface EventRow extends HistoryRow {
  event_type: string;
  previous_status: string | null;
  previous_fill_count: number | null;
}

/** One change of the state chained in state_log: a named state value (the kill switch) or an idempotency key. */
export type StateChange =
  | { kind: 'state'; name: string; change: 'set'; value: unknown }
  | { kind: 'idempotency'; scope: string; key: string; change: 'claimed'; owner: string | null; requestHash: string }
  | { kind: 'idempotency'; scope: string; key: string; change: 'completed'; owner: string | null; requestHash: string; resultText: string }
  | { kind: 'idempotency'; scope: string; key: string; change: 'released' };

/** A row of idempotency_keys, the lockable index of claims that state_log's chain vouches for. */
export interface IdempotencyKeyRow {
  scope: string;
  key: string;
  owner: string | null;
  request_hash: string;
  state: string;
  result: string | null;
}

export function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    correlationId: row.correlation_id,
    timestamp: row.timestamp,
    eventType: row.event_type as AuditEventType,
    orderId: row.order_id,
    accountId: row.account_id,
    eventData: fromJsonText<Record<string, unknown>>(row.event_data),
    userContext: fromJsonText<UserContext>(row.user_context),
    configSnapshot: row.config_snapshot === null ? null : fromJsonText<Record<string, unknown>>(row.config_snapshot),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export function toOrderDetail(row: HistoryRow): OrderDetail {
  return orderDetailOf(row, fromJsonText<OrderSpecOutput>(row.spec), fromJsonText<Fill[]>(row.fills));
}

/** toOrderDetail with the row's two JSON columns already parsed (`spec` and `fills` become the detail's own). */
export function orderDetailOf(row: HistoryRow, spec: OrderSpecOutput, fills: Fill[]): OrderDetail {
  return {
    orderId: row.order_id,
    clientOrderId: row.client_order_id,
    parentOrderId: row.parent_order_id,
    role: row.role as OrderDetail['role'],
    accountId: row.account_id,
    status: row.status as OrderStatus,
    spec,
    conId: row.con_id,
    filledQuantity: row.filled_quantity,
    remainingQuantity: row.remaining_quantity,
    avgFillPrice: row.avg_fill_price,
    commission: row.commission,
    fills,
    statusMessage: row.status_message,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
    brokerIdentity: row.broker_identity ?? null,
  };
}

export function toOrderEvent(row: EventRow): OrderEvent {
  const { event_type, previous_status, previous_fill_count, ...history } = row;
  const order = toOrderDetail(history);
  // An execution the broker made without an order is recorded as an order born with its fill: that first version is its FILL event.
  const fillEvent = row.version > 1 || event_type === 'BROKER_INITIATED_FILL';
  const added = fillEvent && order.fills.length > (previous_fill_count ?? 0) ? (order.fills[order.fills.length - 1] ?? null) : null;
  const kind: OrderEventKind = added !== null ? 'FILL' : row.version === 1 ? 'NEW' : 'STATUS';
  return {
    sequence: row.id,
    kind,
    orderId: row.order_id,
    status: row.status as OrderStatus,
    previousStatus: previous_status as OrderStatus | null,
    fill: added,
    auditEventType: event_type as AuditEventType,
    correlationId: row.correlation_id,
    timestamp: row.updated_at,
    order,
  };
}
