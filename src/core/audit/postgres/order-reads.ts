/**
 * Reading order_history on PostgreSQL: the same queries as the SQLite table
 * (order-history.ts, order-events.ts), in PostgreSQL's dialect. Any gateway
 * reads every order; `scope` narrows to the orders one broker connection owns.
 */
import { type Fill, type OrderDetail, type OrderEvent, TERMINAL_STATUSES } from '../../models.js';
import { fromJsonText, normaliseTimestamp } from '../json.js';
import type { OrderListFilter, OrderScope } from '../types.js';
import { placedInRange, type PlacedRange, placedRangeSql } from '../placed-range.js';
import type { Queryable } from './connection.js';
import { type EventRow, type HistoryRow, toOrderDetail, toOrderEvent } from '../rows.js';

const TERMINAL_SQL = [...TERMINAL_STATUSES].map((s) => `'${s}'`).join(', ');
const LATEST = 'NOT EXISTS (SELECT 1 FROM order_history n WHERE n.order_id = h.order_id AND n.version > h.version)';
/** `$a`, `$b`: the scope's identities and accounts as text arrays. */
const inScope = (a: number, b: number): string =>
  `(h.broker_identity = ANY($${a}::text[]) OR (h.broker_identity IS NULL AND h.account_id = ANY($${b}::text[])))`;

export class OrderReads {
  constructor(private readonly db: Queryable) {}

  private async rows<R extends object = HistoryRow>(sql: string, values: unknown[] = []): Promise<R[]> {
    return (await this.db.query<R & Record<string, unknown>>(sql, values)).rows;
  }

  async get(orderId: string): Promise<OrderDetail | null> {
    const [row] = await this.rows('SELECT * FROM order_history WHERE order_id = $1 ORDER BY version DESC LIMIT 1', [orderId]);
    return row ? toOrderDetail(row) : null;
  }

  async versions(orderId: string): Promise<OrderDetail[]> {
    return (await this.rows('SELECT * FROM order_history WHERE order_id = $1 ORDER BY version', [orderId])).map(toOrderDetail);
  }

  async findByClientOrderId(accountId: string, clientOrderId: string): Promise<OrderDetail | null> {
    const [row] = await this.rows(
      `SELECT * FROM order_history WHERE order_id = (
         SELECT order_id FROM order_history
         WHERE coalesce(account_id, '') = $1 AND client_order_id = $2 AND version = 1 AND role = 'ENTRY'
         ORDER BY id LIMIT 1)
       ORDER BY version DESC LIMIT 1`,
      [accountId, clientOrderId],
    );
    return row ? toOrderDetail(row) : null;
  }

  async openOrders(scope?: OrderScope): Promise<OrderDetail[]> {
    const where = [`h.status NOT IN (${TERMINAL_SQL})`, LATEST];
    if (scope) where.push(inScope(1, 2));
    const values = scope ? [scope.identities, scope.accounts] : [];
    return (await this.rows(`SELECT h.* FROM order_history h WHERE ${where.join(' AND ')} ORDER BY h.id`, values)).map(toOrderDetail);
  }

  /** status = 'PENDING_APPROVAL' matches the partial index order_history_held (migration 6): only held rows are read. */
  async heldOrders(scope?: OrderScope): Promise<OrderDetail[]> {
    const where = ["h.status = 'PENDING_APPROVAL'", LATEST];
    if (scope) where.push(inScope(1, 2));
    const values = scope ? [scope.identities, scope.accounts] : [];
    return (await this.rows(`SELECT h.* FROM order_history h WHERE ${where.join(' AND ')} ORDER BY h.id`, values)).map(toOrderDetail);
  }

  async list(q: OrderListFilter, scope?: OrderScope): Promise<OrderDetail[]> {
    const where = [LATEST];
    const values: unknown[] = [];
    const param = (v: unknown): string => {
      values.push(v);
      return `$${values.length}`;
    };
    if (scope) {
      values.push(scope.identities, scope.accounts);
      where.push(inScope(1, 2));
    }
    const status = q.status ?? 'all';
    if (status === 'open') where.push(`h.status NOT IN (${TERMINAL_SQL})`);
    if (status === 'closed') where.push(`h.status IN (${TERMINAL_SQL})`);
    if (q.symbol !== undefined) where.push(`h.symbol = ${param(q.symbol.toUpperCase())}`);
    if (q.since !== undefined) where.push(`h.created_at >= ${param(normaliseTimestamp(q.since))}`);
    if (q.account !== undefined) where.push(`h.account_id = ${param(q.account)}`);
    if (q.brokerIdentity !== undefined) where.push(`h.broker_identity = ${param(q.brokerIdentity)}`);
    const sql = `SELECT h.* FROM order_history h WHERE ${where.join(' AND ')} ORDER BY h.created_at DESC, h.order_id DESC LIMIT ${param(q.limit ?? 100)}`;
    return (await this.rows(sql, values)).map(toOrderDetail);
  }

  /** Placed orders with created_at in (from, to] or [from, to]: two index lookups on the placement sequence, in one query (placed-range.ts). */
  async countPlaced(fromIso: string, fromInclusive: boolean, toIso: string): Promise<number> {
    const [range] = await this.rows<PlacedRange>(placedRangeSql(fromInclusive ? '>=' : '>', (n) => `$${n}`), [fromIso, toIso]);
    return placedInRange(range);
  }

  async lastPlacedWithKey(riskKey: string, toIso: string): Promise<string | null> {
    const [row] = await this.rows<{ created_at: string }>('SELECT created_at FROM order_history WHERE risk_key = $1 AND created_at <= $2 ORDER BY created_at DESC LIMIT 1', [riskKey, toIso]);
    return row?.created_at ?? null;
  }

  async fillsSince(accountId: string, fromIso: string, afterRowId: number): Promise<{ fills: Fill[]; lastRowId: number }> {
    const [max] = await this.rows<{ m: number | null }>('SELECT MAX(id) AS m FROM order_history');
    const lastRowId = max?.m ?? 0;
    const rows =
      afterRowId === 0
        ? await this.rows<{ id: number; fills: string }>("SELECT id, fills FROM order_history WHERE updated_at >= $1 AND account_id = $2 AND fills <> '[]' AND id <= $3 ORDER BY id", [fromIso, accountId, lastRowId])
        : await this.rows<{ id: number; fills: string }>("SELECT id, fills FROM order_history WHERE id > $1 AND id <= $2 AND account_id = $3 AND updated_at >= $4 AND fills <> '[]' ORDER BY id", [afterRowId, lastRowId, accountId, fromIso]);
    const fills: Fill[] = [];
    for (const row of rows) for (const f of fromJsonText<Fill[]>(row.fills)) if (normaliseTimestamp(f.time) >= fromIso) fills.push(f);
    return { fills, lastRowId };
  }

  async maxNumericOrderId(): Promise<number> {
    const [row] = await this.rows<{ m: number | null }>(
      `SELECT GREATEST(
         (SELECT MAX(order_id::numeric) FROM order_history WHERE order_id ~ '^[0-9]+$'),
         (SELECT MAX(order_id::numeric) FROM audit_log WHERE order_id ~ '^[0-9]+$')) AS m`,
    );
    return row?.m ?? 0;
  }

  async events(afterSequence: number | undefined, limit: number): Promise<OrderEvent[]> {
    const select = `SELECT h.*, a.event_type AS event_type, p.status AS previous_status, json_array_length(p.fills::json) AS previous_fill_count
      FROM order_history h
      JOIN audit_log a ON a.id = h.audit_id
      LEFT JOIN order_history p ON p.order_id = h.order_id AND p.version = h.version - 1`;
    if (afterSequence === undefined) return (await this.rows<EventRow>(`${select} ORDER BY h.id DESC LIMIT $1`, [limit])).reverse().map(toOrderEvent);
    return (await this.rows<EventRow>(`${select} WHERE h.id > $1 ORDER BY h.id LIMIT $2`, [afterSequence, limit])).map(toOrderEvent);
  }

  async lastSequence(): Promise<number> {
    const [row] = await this.rows<{ m: number | null }>('SELECT MAX(id) AS m FROM order_history');
    return row?.m ?? 0;
  }
}
