/**
 * Building the next sealed row of each chain, once for both back ends: the
 * stores only find the previous version and the chain link inside their write
 * transaction, insert what is built here and advance the head. One builder
 * means SQLite and PostgreSQL cannot drift apart on a column, which would
 * break `audit migrate` (the hashes must agree) without any test noticing.
 */
import { AuditError, IdempotencyConflictError, OrderIdInUseError } from '../errors.js';
import { columnsOf, type Row, type Sealer, type SortedColumns } from './chain.js';
import { fromJsonText, normaliseTimestamp, toJsonText } from './json.js';
import type { AuditRow, HistoryRow, StateChange, StateLogRow } from './rows.js';
import type { AuditAppend, OrderVersionInput } from './types.js';

/** Where a new row goes in its chain: the id it takes and the hash of the row before it (the chain head). */
export interface ChainLink {
  id: number;
  prevHash: string;
}

/** The instrument an event is about, so the log can be searched by symbol without parsing JSON. */
function symbolOf(data: Record<string, unknown>): string | null {
  const pick = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim().toUpperCase() : null);
  const field = (v: unknown, key: string): unknown => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined);
  return pick(data.symbol) ?? pick(field(data.spec, 'symbol')) ?? pick(field(field(data.order, 'spec'), 'symbol')) ?? pick(field(field(data.result, 'spec'), 'symbol'));
}

/**
 * Every column of each chained table, as its builder below sets them (row-builders.test.ts holds the builders to these),
 * and each row's hashed columns as one literal in sorted order (columnsOf says why, and checks each at load).
 */
export const AUDIT_COLUMNS = columnsOf<AuditRow>(
  ['id', 'correlation_id', 'timestamp', 'event_type', 'event_data', 'user_context', 'account_id', 'order_id', 'symbol', 'config_snapshot', 'prev_hash', 'hash'],
  (r) => ({
    account_id: r.account_id ?? undefined,
    config_snapshot: r.config_snapshot ?? undefined,
    correlation_id: r.correlation_id,
    event_data: r.event_data,
    event_type: r.event_type,
    id: r.id,
    order_id: r.order_id ?? undefined,
    prev_hash: r.prev_hash,
    symbol: r.symbol ?? undefined,
    timestamp: r.timestamp,
    user_context: r.user_context,
  }),
);
export const HISTORY_COLUMNS = columnsOf<HistoryRow>(
  [
    'id', 'order_id', 'version', 'client_order_id', 'parent_order_id', 'role', 'account_id', 'con_id', 'symbol', 'status', 'spec', 'filled_quantity',
    'remaining_quantity', 'avg_fill_price', 'commission', 'fills', 'status_message', 'correlation_id', 'created_at', 'updated_at', 'audit_id', 'prev_hash',
    'hash', 'broker_identity', 'placed_seq', 'risk_key',
  ],
  (r) => ({
    account_id: r.account_id ?? undefined,
    audit_id: r.audit_id,
    avg_fill_price: r.avg_fill_price ?? undefined,
    broker_identity: r.broker_identity ?? undefined,
    client_order_id: r.client_order_id ?? undefined,
    commission: r.commission ?? undefined,
    con_id: r.con_id ?? undefined,
    correlation_id: r.correlation_id,
    created_at: r.created_at,
    filled_quantity: r.filled_quantity,
    fills: r.fills,
    id: r.id,
    order_id: r.order_id,
    parent_order_id: r.parent_order_id ?? undefined,
    placed_seq: r.placed_seq ?? undefined,
    prev_hash: r.prev_hash,
    remaining_quantity: r.remaining_quantity,
    risk_key: r.risk_key ?? undefined,
    role: r.role,
    spec: r.spec,
    status: r.status,
    status_message: r.status_message ?? undefined,
    symbol: r.symbol,
    updated_at: r.updated_at,
    version: r.version,
  }),
);
export const STATE_COLUMNS = columnsOf<StateLogRow>(
  ['id', 'timestamp', 'correlation_id', 'kind', 'name', 'key', 'change', 'owner', 'request_hash', 'value', 'prev_hash', 'hash'],
  (r) => ({
    change: r.change,
    correlation_id: r.correlation_id ?? undefined,
    id: r.id,
    key: r.key,
    kind: r.kind,
    name: r.name,
    owner: r.owner ?? undefined,
    prev_hash: r.prev_hash,
    request_hash: r.request_hash ?? undefined,
    timestamp: r.timestamp,
    value: r.value ?? undefined,
  }),
);

/**
 * Seals a row built with `hash: ''` in place: the hash covers every column but hash (chain.ts), so the row
 * need not be copied to add it, and its columns are the builder's known list rather than listed per row.
 */
function sealed<R extends { hash: string }>(chain: 'audit_log' | 'order_history' | 'state_log', row: R, columns: SortedColumns, sealer: Sealer): R {
  // Every column is a string, a number or null: the Row the sealer hashes.
  row.hash = sealer.row(chain, row as unknown as Row, columns);
  return row;
}

/** The last user context written and its text: every row of a request (three per order) has the same caller. */
let lastCaller: { interface: string; apiKeyName: string | null | undefined; text: string } | null = null;

function userContextText(user: AuditAppend['userContext']): string {
  if (lastCaller !== null && lastCaller.interface === user.interface && lastCaller.apiKeyName === user.apiKeyName) return lastCaller.text;
  // In sorted key order, as canonicalJson writes it (and so without a copy).
  const text = toJsonText({ apiKeyName: user.apiKeyName, interface: user.interface });
  lastCaller = { interface: user.interface, apiKeyName: user.apiKeyName, text };
  return text;
}

export function auditRow(entry: AuditAppend, link: ChainLink, now: string, sealer: Sealer): AuditRow {
  return sealed<AuditRow>(
    'audit_log',
    {
      id: link.id,
      correlation_id: entry.correlationId,
      timestamp: normaliseTimestamp(entry.timestamp ?? now),
      event_type: entry.eventType,
      event_data: toJsonText(entry.eventData),
      user_context: userContextText(entry.userContext),
      account_id: entry.accountId,
      order_id: entry.orderId,
      symbol: symbolOf(entry.eventData),
      config_snapshot: entry.configSnapshot === null ? null : toJsonText(entry.configSnapshot),
      prev_hash: link.prevHash,
      hash: '',
    },
    AUDIT_COLUMNS,
    sealer,
  );
}

/**
 * Whether this version counts as a placement: the first version of an order
 * that places one. It gets the next placed_seq (the rate limits and the
 * duplicate guard count these), so a store reads that sequence only when this is true.
 */
export const isPlacement = (v: OrderVersionInput, previous: HistoryRow | undefined): boolean => previous === undefined && v.placement !== undefined;

/**
 * The next version of an order after `previous` (undefined: its first).
 * `placedSeq` is the store's next placement number when isPlacement(), else null.
 * Throws OrderIdInUseError when the order must be new and is not.
 */
export function historyRow(v: OrderVersionInput, previous: HistoryRow | undefined, link: ChainLink, auditId: number, now: string, placedSeq: number | null, sealer: Sealer): HistoryRow {
  if (previous && v.expectNew) throw new OrderIdInUseError(v.orderId, previous.broker_identity);
  return sealed<HistoryRow>(
    'order_history',
    {
      id: link.id,
      order_id: v.orderId,
      version: previous ? previous.version + 1 : 1,
      client_order_id: v.clientOrderId,
      parent_order_id: v.parentOrderId,
      role: v.role,
      account_id: v.accountId,
      con_id: v.conId,
      symbol: v.spec.symbol,
      status: v.status,
      spec: toJsonText(v.spec),
      filled_quantity: v.filledQuantity,
      remaining_quantity: v.remainingQuantity,
      avg_fill_price: v.avgFillPrice,
      commission: v.commission,
      fills: toJsonText(v.fills),
      status_message: v.statusMessage,
      correlation_id: v.correlationId,
      created_at: previous ? previous.created_at : normaliseTimestamp(v.createdAt ?? now),
      updated_at: now,
      audit_id: auditId,
      prev_hash: link.prevHash,
      // An order keeps the identity of the broker that placed it, whoever writes its later versions.
      broker_identity: previous ? previous.broker_identity : (v.brokerIdentity ?? null),
      placed_seq: isPlacement(v, previous) ? placedSeq : null,
      risk_key: isPlacement(v, previous) ? (v.placement?.riskKey ?? null) : null,
      hash: '',
    },
    HISTORY_COLUMNS,
    sealer,
  );
}

/**
 * What a unique violation on inserting `row` means to the caller: a first
 * version carrying a clientOrderId can only collide on (account, clientOrderId),
 * a reused clientOrderId. Null: some other violation, rethrow it as it is.
 */
export function clientOrderIdReused(row: HistoryRow): IdempotencyConflictError | null {
  if (row.version !== 1 || row.client_order_id === null) return null;
  return new IdempotencyConflictError(`clientOrderId ${row.client_order_id} was already used for another order in this account`, 'IDEMPOTENCY_CONFLICT', {
    clientOrderId: row.client_order_id,
    accountId: row.account_id,
  });
}

export function stateLogRow(change: StateChange, link: ChainLink, now: string, correlationId: string | null, sealer: Sealer): StateLogRow {
  const { id, prevHash } = link;
  const { kind } = change;
  const row: StateLogRow =
    change.kind === 'state'
      ? { id, timestamp: now, correlation_id: correlationId, kind, change: change.change, prev_hash: prevHash, name: change.name, key: '', owner: null, request_hash: null, value: toJsonText(change.value ?? null), hash: '' }
      : {
          id,
          timestamp: now,
          correlation_id: correlationId,
          kind,
          change: change.change,
          prev_hash: prevHash,
          name: change.scope,
          key: change.key,
          owner: change.change === 'released' ? null : change.owner,
          request_hash: change.change === 'released' ? null : change.requestHash,
          value: change.change === 'completed' ? change.resultText : null,
          hash: '',
        };
  return sealed<StateLogRow>('state_log', row, STATE_COLUMNS, sealer);
}

/**
 * The value a named state's last chained row holds, its MAC checked first: the
 * kill switch is read from here, so an edited row must stop the gateway, not steer it.
 * `where` names the altered thing in the message ("audit.db", "the store").
 */
export function checkedStateValue<T>(row: StateLogRow, name: string, sealer: Sealer, where: string): T | null {
  const { hash, ...rest } = row;
  if (sealer.row('state_log', rest as unknown as Row) !== hash) {
    throw new AuditError(`state_log row ${row.id} (state ${name}) does not match its HMAC: ${where} was altered; run ibkr-gateway audit verify`, 'AUDIT_CORRUPT', {
      stateLogId: row.id,
    });
  }
  return row.value === null ? null : fromJsonText<T>(row.value);
}
