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
import type { RateFacts, RateFactsQuery } from './rate-facts.js';
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

/**
 * An order listing as the store runs it: `owner` is the client's business (it
 * passes a scope or none), so the store's callers need not name it.
 */
export type OrderListFilter = Omit<OrderListQuery, 'owner'>;

/** The orders one broker connection owns: its identities, and identity-less (older) rows of its accounts. */
export interface OrderScope {
  identities: readonly string[];
  accounts: readonly string[];
}

export type IdempotencyBegin =
  | { kind: 'new' }
  | { kind: 'replay'; result: unknown }
  /**
   * `since`: when the key was claimed; `holder`: the gateway instance that
   * claimed it, so a caller can tell a live request from one a crash left
   * behind (core/instance.ts decides).
   */
  | { kind: 'in-progress'; since?: string; holder?: ClaimHolder };

/** A claim as found by someone who did not make it: answered already, or another request's. */
export type IdempotencyClaimed = Exclude<IdempotencyBegin, { kind: 'new' }>;

/**
 * The gateway instance holding an in-progress idempotency claim, as the store
 * sees it now. `instanceId` null: claimed by a handle that registered no
 * instance (a claim from before instances were recorded). `alive` null: the
 * instance's row is gone.
 */
export interface ClaimHolder {
  instanceId: string | null;
  alive: InstanceLiveness | null;
}

/** What the store knows of one instance's liveness. */
export interface InstanceLiveness {
  /** Which machine and process namespace (core/instance.ts localHostKey), or null when it could not tell. */
  hostKey: string | null;
  pid: number;
  /** The lease the instance promised to renew within. */
  leaseMs: number;
  /** Time since its last heartbeat, by the store's clock (PostgreSQL: the server's, so gateways' clocks may differ). */
  heartbeatAgeMs: number;
  /** It closed cleanly. */
  ended: boolean;
}

/** One running gateway (one createCoreClient) as registered in the store. */
export interface InstanceInfo {
  hostKey: string | null;
  pid: number;
  leaseMs: number;
}

/**
 * One account's exposure as its gateway last published it, for the desk-wide
 * limits (core/risk/desk.ts). Amounts are decimal text in `currency` (the
 * desk's currency when the publisher could convert, else the account's own),
 * so summing them never goes through floats. One row per account: two
 * gateways on one account publish the same positions, and the newest wins.
 */
export interface ExposurePublication {
  accountId: string;
  /** The broker identity that published it. */
  brokerIdentity: string;
  currency: string;
  /** Sum of |position value at mark|. */
  grossExposure: string;
  /** The account's own gross-exposure limit as its gateway enforces it (what a stale publication counts as at least). */
  maxGrossExposure: string;
  /** Today's P&L (realised + unrealised), or null when the broker gave none. */
  dailyPnl: string | null;
  /** The account's own daily-loss limit as its gateway enforces it. */
  maxDailyLoss: string;
  /** When the figures were read (UTC ISO 8601). */
  publishedAt: string;
}

/**
 * The idempotency key a pre-transmit record claims inside its own
 * transaction (recordNewOrders): the claim, the id reservation and the order
 * rows commit together or not at all, so a request whose rows are written
 * holds its key, and one whose key another request holds writes nothing.
 */
export interface FoldedClaim {
  scope: string;
  key: string;
  owner: string;
  requestHash: string;
  /**
   * Set when this request already holds the claim (it took an abandoned one
   * over at `heldSince`, takeOverIdempotent): the record then only checks,
   * inside its transaction, that the claim is still this instance's as taken,
   * so a claim another gateway took meanwhile (a lapsed lease) sends nothing.
   */
  heldSince?: string;
}

/** One order row of recordNewOrders: the audit row and the first order_history version, written together. */
export interface NewOrderRow {
  entry: AuditAppend;
  version: OrderVersionInput;
}

export interface NewOrdersRequest {
  claim?: FoldedClaim;
  /** Reserve `count` ids from the store-wide sequence (as reserveOrderIds) inside the transaction. */
  reserve?: { count: number; floor: number };
  /**
   * The rows to write, given the reserved ids (empty without `reserve`).
   * Called inside the transaction, possibly in another request's async
   * context: it must not read the current request context (build the rows
   * before, fill in only the ids).
   */
  rows: (ids: readonly string[]) => readonly NewOrderRow[];
}

/** The rows of an order's next version (updateOrder): its audit row and the version, written together. */
export interface OrderUpdateRows {
  entry: AuditAppend;
  version: OrderVersionInput;
}

/** The order as it stands after updateOrder (null: the store does not have it), and whether a version was written. */
export interface OrderUpdated {
  order: OrderDetail | null;
  written: boolean;
}

export type NewOrdersOutcome =
  | { kind: 'recorded'; ids: string[]; orders: OrderDetail[] }
  /** The key is another request's (in progress) or already answered (replay): nothing was written, no id reserved. */
  | { kind: 'claimed-elsewhere'; claim: IdempotencyClaimed };

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
  /**
   * The correlation id of the request the write serves, for the state_log rows it writes (idempotency claims
   * and results, named states); default: the context handed over or entered (logging.ts), else a fresh id.
   * Passed explicitly because the gateway carries its request context as a value, not in AsyncLocalStorage.
   */
  correlationId?: string;
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
  /**
   * An order's next version decided inside the write transaction from its
   * latest version, as it stands after every write queued before this one:
   * `next` gets that version (null for an order the store does not have) and
   * returns the audit row and version to write, or null to write nothing. So
   * two updates of one order queued together share one transaction, the
   * second built on the first, and neither can overwrite the other. `next`
   * may run in another request's async context: it must not read the current
   * request context (build the rows' context-dependent parts before).
   * Resolves to the order as it stands after the update.
   */
  updateOrder(orderId: string, next: (current: OrderDetail | null) => OrderUpdateRows | null, options?: WriteOptions): Promise<OrderUpdated>;

  /**
   * A new order's pre-transmit write, in ONE transaction: claims the
   * idempotency key (or checks it is still held, `heldSince`), reserves the
   * ids and writes every order's audit row and first version. Rejected as a
   * whole (nothing written, the claim not made, the ids not reserved) when
   * any part cannot be written; a key owned by another caller or used for
   * another request rejects with IdempotencyConflictError as beginIdempotent.
   */
  recordNewOrders(request: NewOrdersRequest, options?: WriteOptions): Promise<NewOrdersOutcome>;

  getOrder(orderId: string): Promise<OrderDetail | null>;
  /** Every version of an order, oldest first. */
  getOrderVersions(orderId: string): Promise<OrderDetail[]>;
  /** `scope`: only the orders of one broker connection (default: every order). */
  listOrders(query: OrderListFilter, scope?: OrderScope): Promise<OrderDetail[]>;
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
  /**
   * One account's order messages in (from, to] (`fromInclusive`: [from, to]):
   * its placements (as countPlaced) plus its modifications (as
   * countModifications), across every process on this store. For an account
   * with its own order-rate limits; an index range per kind.
   */
  countAccountMessages(accountId: string, fromIso: string, fromInclusive: boolean, toIso: string): Promise<number>;
  /** created_at of the latest placed order with this risk key at or before `toIso`, or null. */
  lastPlacedWithKey(riskKey: string, toIso: string): Promise<string | null>;
  /**
   * The order path's reads for the rate limits and the duplicate guard, in one statement
   * (rate-facts.ts): countPlaced plus countModifications over the last minute (start exclusive)
   * and over the risk day (start inclusive), and lastPlacedWithKey.
   */
  rateFacts(query: RateFactsQuery): Promise<RateFacts>;
  /**
   * Changes whenever anything is committed to the store, by this handle or
   * another process (SQLite: PRAGMA data_version plus this connection's own
   * commits): a cache keyed by it is never stale. Must cost no table read.
   */
  changeMark(): Promise<string>;
  /**
   * Changes whenever a named state (getState) may have changed: another process
   * committed anything, or this handle's setState committed. Unlike changeMark
   * it stays put across this handle's other writes, so a cache of named states
   * (the kill switch, read before every order) is not re-read after each of the
   * order path's own commits. Must cost no table read.
   */
  stateMark(): Promise<string>;
  /**
   * Fills of `accountId` with time >= `fromIso`, from order rows written after
   * history row `afterRowId` (0: every row updated since `fromIso`); returns
   * them with the last row id read, so a caller can follow the day incrementally.
   */
  fillsSince(accountId: string, fromIso: string, afterRowId: number): Promise<{ fills: Fill[]; lastRowId: number }>;
  /** Highest numeric order id ever recorded (0 if none): order id allocation must never collide. */
  maxNumericOrderId(): Promise<number>;
  /**
   * Reserves `count` consecutive order ids from the store-wide sequence and
   * returns the first: never below `floor` (the broker's next valid id), above
   * every id reserved before by any handle on this store, and above every
   * numeric order id already recorded. Ids of two gateways on one store
   * therefore never collide, and each gateway's ids only increase.
   */
  reserveOrderIds(count: number, floor: number): Promise<number>;
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
  /**
   * The claim on a key as beginIdempotent would judge it, without claiming:
   * null when nobody holds it. A read (no transaction): the order path looks
   * before it assesses, and claims in its pre-transmit write (recordNewOrders).
   */
  peekIdempotent(scope: string, key: string, owner: string, requestHash: string): Promise<IdempotencyClaimed | null>;
  completeIdempotent(scope: string, key: string, result: unknown, options?: WriteOptions): Promise<void>;
  /**
   * completeIdempotent with a result built inside the write from the orders
   * named, as they stand after every write queued before this one (so the
   * stored result and the caller's answer are one object, and the completion
   * shares the transaction of the order updates queued with it). `result`
   * gets the latest version of each id in order (null: unknown) and runs as
   * updateOrder's `next` does. Resolves to the result stored.
   */
  completeIdempotentFrom<T>(scope: string, key: string, orderIds: readonly string[], result: (orders: ReadonlyArray<OrderDetail | null>) => T, options?: WriteOptions): Promise<T>;
  /** Gives a claimed key back when the request failed before anything was transmitted. */
  releaseIdempotent(scope: string, key: string, options?: WriteOptions): Promise<void>;
  /**
   * Takes over an in-progress claim whose holder is gone, for this handle's
   * instance: succeeds only if the claim is still the one seen (same
   * `since` and holder), so of two gateways finding one orphan only one gets it.
   * The claim keeps its owner and request hash; `since` becomes now, and is
   * returned (null: not taken), for recordNewOrders' `heldSince`.
   */
  takeOverIdempotent(scope: string, key: string, seen: { since: string; instanceId: string | null }, options?: WriteOptions): Promise<string | null>;

  /**
   * Registers this handle's gateway instance (one per running client) and
   * returns its id; the handle's later claims carry it. The instance must call
   * heartbeatInstance() within `leaseMs`, or its claims count as abandoned.
   */
  registerInstance(info: InstanceInfo): Promise<string>;
  /** Renews the registered instance's lease. */
  heartbeatInstance(): Promise<void>;
  /** Marks the registered instance ended (a clean close): its claims are abandoned at once. */
  endInstance(): Promise<void>;


  /**
   * Stores an account's exposure, replacing an older publication of the same
   * account (an older one arriving late changes nothing). Not chained: it is a
   * snapshot of the broker's book, not a decision; the decisions it feeds are
   * in the audit rows with the figures they used.
   */
  publishExposure(publication: ExposurePublication, options?: WriteOptions): Promise<void>;
  /** Every account's latest publication. */
  exposures(): Promise<ExposurePublication[]>;

  /** Small persistent state (kill switch, ...) kept beside the log; every change is a chained row. */
  getState<T>(name: string): Promise<T | null>;
  setState(name: string, value: unknown, options?: WriteOptions): Promise<void>;

  /** Waits for writes already asked for, then closes. Later calls do nothing. */
  close(): Promise<void>;
}
