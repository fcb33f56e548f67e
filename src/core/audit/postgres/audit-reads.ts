/** Reading audit_log on PostgreSQL: filters and a stable id cursor, as on SQLite (audit-log.ts). */
import type { AuditPage, AuditQuery } from '../../models.js';
import { normaliseTimestamp } from '../json.js';
import type { Queryable } from './connection.js';
import { type AuditRow, toAuditEntry } from '../rows.js';

export async function queryAuditLog(db: Queryable, q: AuditQuery): Promise<AuditPage> {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (column: string, op: string, value: string | number | undefined): void => {
    if (value === undefined) return;
    values.push(value);
    where.push(`${column} ${op} $${values.length}`);
  };
  add('order_id', '=', q.orderId);
  add('correlation_id', '=', q.correlationId);
  add('account_id', '=', q.accountId);
  add('event_type', '=', q.eventType);
  add('symbol', '=', q.symbol?.toUpperCase());
  add('timestamp', '>=', q.from === undefined ? undefined : normaliseTimestamp(q.from));
  add('timestamp', '<', q.to === undefined ? undefined : normaliseTimestamp(q.to));
  add('id', '>', q.afterId);
  const limit = q.limit ?? 100;
  values.push(limit + 1);
  // Ordered by id, the append (and commit) order: a cursor on id gives stable pages while gateways append.
  const sql = `SELECT * FROM audit_log${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT $${values.length}`;
  const rows = (await db.query<AuditRow>(sql, values)).rows;
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  return { entries: page.map(toAuditEntry), nextAfterId: more && last ? last.id : null };
}

/** Modifications sent (or simulated) with timestamp in (from, to], or [from, to] with `fromInclusive`: the partial index audit_log_modifications. */
export async function countModifications(db: Queryable, fromIso: string, fromInclusive: boolean, toIso: string): Promise<number> {
  const sql = `SELECT COUNT(*)::int AS n FROM audit_log WHERE event_type IN ('ORDER_MODIFY_REQUESTED', 'ORDER_MODIFY_SIMULATED') AND timestamp ${fromInclusive ? '>=' : '>'} $1 AND timestamp <= $2`;
  const rows = (await db.query<{ n: number }>(sql, [normaliseTimestamp(fromIso), normaliseTimestamp(toIso)])).rows;
  return rows[0]?.n ?? 0;
}
