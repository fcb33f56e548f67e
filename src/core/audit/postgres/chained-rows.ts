/**
 * Appending chained rows on PostgreSQL: the same row contents, column for
 * column, as the SQLite tables write (so hashes agree and `audit migrate` can
 * copy a chain as it is), inside a write transaction (transaction.ts).
 */
import { IdempotencyConflictError, OrderIdInUseError } from '../../errors.js';
import type { AuditEntry, OrderDetail } from '../../models.js';
import { currentContext } from '../../logging.js';
import type { Row, Sealer } from '../chain.js';
import { normaliseTimestamp, toJsonText } from '../json.js';
import type { AuditAppend, OrderVersionInput } from '../types.js';
import { type PoolClient, pgCode, UNIQUE_VIOLATION } from './connection.js';
import { type AuditRow, type HistoryRow, type StateLogRow, toAuditEntry, toOrderDetail } from './row-types.js';
import { insertRow, type PgHeads } from './transaction.js';

/** The instrument an event is about, so the log can be searched by symbol without parsing JSON (as on SQLite). */
function symbolOf(data: Record<string, unknown>): string | null {
  const pick = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim().toUpperCase() : null);
  const field = (v: unknown, key: string): unknown => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined);
  return pick(data.symbol) ?? pick(field(data.spec, 'symbol')) ?? pick(field(field(data.order, 'spec'), 'symbol')) ?? pick(field(field(data.result, 'spec'), 'symbol'));
}

export type StateChange =
  | { kind: 'state'; name: string; change: 'set'; value: unknown }
  | { kind: 'idempotency'; scope: string; key: string; change: 'claimed'; owner: string | null; requestHash: string }
  | { kind: 'idempotency'; scope: string; key: string; change: 'completed'; owner: string | null; requestHash: string; resultText: string }
  | { kind: 'idempotency'; scope: string; key: string; change: 'released' };

export class ChainedRows {
  constructor(
    private readonly client: PoolClient,
    private readonly heads: PgHeads,
    private readonly sealer: Sealer,
    private readonly now: string,
  ) {}

  async audit(entry: AuditAppend): Promise<AuditEntry> {
    const { id, prevHash } = this.heads.next('audit_log');
    const unhashed: Omit<AuditRow, 'hash'> = {
      id,
      correlation_id: entry.correlationId,
      timestamp: normaliseTimestamp(entry.timestamp ?? this.now),
      event_type: entry.eventType,
      event_data: toJsonText(entry.eventData),
      user_context: toJsonText({ interface: entry.userContext.interface, apiKeyName: entry.userContext.apiKeyName }),
      account_id: entry.accountId,
      order_id: entry.orderId,
      symbol: symbolOf(entry.eventData),
      config_snapshot: entry.configSnapshot === null ? null : toJsonText(entry.configSnapshot),
      prev_hash: prevHash,
    };
    const row: AuditRow = { ...unhashed, hash: this.sealer.row('audit_log', unhashed as Row) };
    await insertRow(this.client, 'audit_log', { ...row });
    this.heads.advance('audit_log', id, row.hash);
    return toAuditEntry(row);
  }

  async orderVersion(v: OrderVersionInput, auditId: number): Promise<OrderDetail> {
    const prev = (await this.client.query<HistoryRow>('SELECT * FROM order_history WHERE order_id = $1 ORDER BY version DESC LIMIT 1', [v.orderId])).rows[0];
    if (prev && v.expectNew) throw new OrderIdInUseError(v.orderId, prev.broker_identity);
    const placed = !prev && v.placement !== undefined;
    const seq = placed ? Number((await this.client.query<{ m: number | null }>('SELECT MAX(placed_seq) AS m FROM order_history')).rows[0]?.m ?? 0) + 1 : null;
    const { id, prevHash } = this.heads.next('order_history');
    const unhashed: Omit<HistoryRow, 'hash'> = {
      id,
      order_id: v.orderId,
      version: prev ? prev.version + 1 : 1,
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
      created_at: prev ? prev.created_at : normaliseTimestamp(v.createdAt ?? this.now),
      updated_at: this.now,
      audit_id: auditId,
      prev_hash: prevHash,
      broker_identity: prev ? prev.broker_identity : (v.brokerIdentity ?? null),
      placed_seq: seq,
      risk_key: placed ? (v.placement?.riskKey ?? null) : null,
    };
    const row: HistoryRow = { ...unhashed, hash: this.sealer.row('order_history', unhashed as Row) };
    try {
      await insertRow(this.client, 'order_history', { ...row });
    } catch (err) {
      if (pgCode(err) === UNIQUE_VIOLATION && row.version === 1 && row.client_order_id !== null) {
        throw new IdempotencyConflictError(`clientOrderId ${row.client_order_id} was already used for another order in this account`, 'IDEMPOTENCY_CONFLICT', {
          clientOrderId: row.client_order_id,
          accountId: row.account_id,
        });
      }
      throw err;
    }
    this.heads.advance('order_history', id, row.hash);
    return toOrderDetail(row);
  }

  async state(change: StateChange): Promise<void> {
    const { id, prevHash } = this.heads.next('state_log');
    const base = { id, timestamp: this.now, correlation_id: currentContext().correlationId, kind: change.kind, change: change.change, prev_hash: prevHash };
    const unhashed: Omit<StateLogRow, 'hash'> =
      change.kind === 'state'
        ? { ...base, name: change.name, key: '', owner: null, request_hash: null, value: toJsonText(change.value ?? null) }
        : {
            ...base,
            name: change.scope,
            key: change.key,
            owner: change.change === 'released' ? null : change.owner,
            request_hash: change.change === 'released' ? null : change.requestHash,
            value: change.change === 'completed' ? change.resultText : null,
          };
    const hash = this.sealer.row('state_log', unhashed as Row);
    await insertRow(this.client, 'state_log', { ...unhashed, hash });
    this.heads.advance('state_log', id, hash);
  }
}
