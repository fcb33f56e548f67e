/**
 * What the rest of the core needs from the audit store. One interface, one
 * folder per back end with parallel file names: sqlite/ (the embedded
 * default, data/audit.db) and postgres/ (DATABASE_URL). The order path only
 * ever sees this interface.
 *
 * Every method that touches the database returns a Promise: a network
 * database cannot answer synchronously, and the SQLite store uses the gap to
 * group writes arriving together into one transaction with one fsync (group
 * commit). A write's promise resolves only once its row is committed with the
 * durability asked for, so `await store.recordOrder(...)` before transmit
 * means "on disk before transmit", whatever the back end.
 */
import type {
  AuditEntry,
  AuditEventType,
  AuditPage,
  AuditQuery,
  AuditVerifyResult,
  Fill,
  OrderDetail,
  OrderEvent,
  OrderListQuery,
  OrderSpec,
  OrderStatus,
  UserContext,
} from '../models.js';

export interface AuditAppend {
  correlationId: string;
  eventType: AuditEventType;
  eventData: Record<string, unknown>;
  userContext: UserContext;
  accountId: string | null;
  orderId: string | null;
  /** The configuration the decision was taken under (no secrets). */
  configSnapshot: Record<string, unknown> | null;
  /** Default: the store's clock, now. */
  timestamp?: string;
}

/** One version of an order, as written to order_history. */
export interface OrderVersionInput {
  orderId: string;
  clientOrderId: string | null;
  parentOrderId: string | null;
  role: 'ENTRY' | 'TAKE_PROFIT' | 'STOP_LOSS';
  accountId: string | null;
  conId: number | null;
  status: OrderStatus;
  spec: OrderSpec;
  filledQuantity: number;
  remainingQuantity: number;
  avgFillPrice: number | null;
  commission: number | null;
  fills: Fill[];
  statusMessage: string | null;
  correlationId: string;
  /** Default: kept from the first version, or now for a new order. */
  createdAt?: string;
  /**
   * The broker the order was sent to ('sim:<account>', 'tws:<host>:<port>:<account>:<clientId>').
   * Set on the first version; later versions keep it whatever they pass.
   */
  brokerIdentity?: string | null;
  /**
   * Set when the gates let this order through (entry orders only, first
   * version): the row then counts toward the order-rate limits, and `riskKey`
   * (a hash of the duplicate-order key) feeds the duplicate guard.
   */
  placement?: { riskKey: string };
  /** The order id must not exist yet (a new order): refused with ORDER_OTHER_BROKER if it does. */
  expectNew?: boolean;
}

/** The orders one broker connection owns: its identities, and identity-less (older) rows of its accounts. */
export interface OrderScope {
  identities: readonly string[];
  accounts: readonly string[];
}

export type IdempotencyBegin =
  | { kind: 'new' }
  | { kind: 'replay'; result: unknown }
  /** `since`: when the key was claimed, so a caller can tell a live request from one a crash left behind. */
  | { kind: 'in-progress'; since?: string };

/**
 * How durable a write must be when its promise resolves. 'durable' (the
 * default): on disk, surviving a power cut. 'relaxed': surviving a process
 * crash, possibly lost to a power cut until the next durable write (no fsync
 * of its own). Only for writes a power cut cannot make unsafe (an order's
 * later status versions, which reconciliation with the broker restores;
 * idempotency bookkeeping); never for the row written before an order is
 * transmitted.
 */
export type Durability = 'durable' | 'relaxed';
export interface WriteOptions {
  durability?: Durability;
}

export interface AuditStore {
  /** Which back end this is ('sqlite', 'postgres'), for health and metrics. */
  readonly kind: string;
  /** Appends one row, chained to the previous one. Resolves once it is committed (see WriteOptions). */
  append(entry: AuditAppend, options?: WriteOptions): Promise<AuditEntry>;
  /**
   * Appends an audit row and a new order_history version in one transaction.
   * Rejected as a whole (neither row written) when either cannot be written.
   */
  recordOrder(entry: AuditAppend, version: OrderVersionInput, options?: WriteOptions): Promise<{ entry: AuditEntry; order: OrderDetail }>;

  getOrder(orderId: string): Promise<OrderDetail | null>;
  /** Every version of an order, oldest first. */
  getOrderVersions(orderId: string): Promise<OrderDetail[]>;
  /** `scope`: only the orders of one broker connection (default: every order). */
  listOrders(query: OrderListQuery, scope?: OrderScope): Promise<OrderDetail[]>;
  /** Orders whose latest version is not terminal (`scope`: of one broker connection). */
  openOrders(scope?: OrderScope): Promise<OrderDetail[]>;
  /**
   * Orders whose latest version is PENDING_APPROVAL, oldest first (`scope`: of one
   * broker connection). Reads only rows ever held for approval (a partial index),
   * so the approvals sweep costs the same however long the history grows.
   */
  heldOrders(scope?: OrderScope): Promise<OrderDetail[]>;
  /**
   * How many orders the gates let through with created_at in (from, to]
   * (`fromInclusive`: [from, to]), across every process on this store. O(log n).
   */
  countPlaced(fromIso: string, fromInclusive: boolean, toIso: string): Promise<number>;
  /**
   * How many order modifications were sent or simulated (ORDER_MODIFY_REQUESTED /
   * ORDER_MODIFY_SIMULATED rows) with timestamp in (from, to] (`fromInclusive`:
   * [from, to]), across every process on this store. A modification is an order
   * message to the broker, so the order-rate limits count these with countPlaced.
   */
  countModifications(fromIso: string, fromInclusive: boolean, toIso: string): Promise<number>;
  /** created_at of the latest placed order with this risk key at or before `toIso`, or null. */
  lastPlacedWithKey(riskKey: string, toIso: string): Promise<string | null>;
  /**
   * Changes whenever anything is committed to the store, by this handle or
   * another process (SQLite: PRAGMA data_version plus this connection's own
   * commits): a cache keyed by it is never stale. Must cost no table read.
   */
  changeMark(): Promise<string>;
  /**
   * Fills of `accountId` with time >= `fromIso`, from order rows written after
   * history row `afterRowId` (0: every row updated since `fromIso`); returns
   * them with the last row id read, so a caller can follow the day incrementally.
   */
  fillsSince(accountId: string, fromIso: string, afterRowId: number): Promise<{ fills: Fill[]; lastRowId: number }>;
  /** Highest numeric order id ever recorded (0 if none): order id allocation must never collide. */
  maxNumericOrderId(): Promise<number>;
  findOrderByClientOrderId(accountId: string, clientOrderId: string): Promise<OrderDetail | null>;
  /**
   * Order events (one per order_history version; sequence = its row id), oldest
   * first: those after `afterSequence`, or the latest `limit` when it is undefined.
   */
  orderEvents(afterSequence: number | undefined, limit: number): Promise<OrderEvent[]>;
  /** The sequence of the newest order event (0 if none). */
  lastOrderSequence(): Promise<number>;

  query(query: AuditQuery): Promise<AuditPage>;
  verify(): Promise<AuditVerifyResult>;

  /**
   * Claims an idempotency key for a request on behalf of `owner` (the caller:
   * its API key name, or its interface when it has none). 'new' means the
   * caller owns it and must later complete() or release() it; the same owner
   * with the same request hash gives 'replay' with the stored result (or
   * 'in-progress'); another owner throws IdempotencyConflictError
   * IDEMPOTENCY_KEY_FOREIGN, a different hash IDEMPOTENCY_CONFLICT.
   */
  beginIdempotent(scope: string, key: string, owner: string, requestHash: string, options?: WriteOptions): Promise<IdempotencyBegin>;
  completeIdempotent(scope: string, key: string, result: unknown, options?: WriteOptions): Promise<void>;
  /** Gives a claimed key back when the request failed before anything was transmitted. */
  releaseIdempotent(scope: string, key: string, options?: WriteOptions): Promise<void>;


  /** Small persistent state (kill switch, ...) kept beside the log; every change is a chained row. */
  getState<T>(name: string): Promise<T | null>;
  setState(name: string, value: unknown, options?: WriteOptions): Promise<void>;

  /** Waits for writes already asked for, then closes. Later calls do nothing. */
  close(): Promise<void>;
}
