/**
 * audit_log: appending chained rows and reading them back with filters and a
 * stable id cursor. Callers hold the write transaction; this module only
 * knows the table.
 */
import type Database from 'better-sqlite3';
import type { AuditEntry, AuditPage, AuditQuery } from '../../models.js';
import type { Sealer } from '../chain.js';
import type { ChainHeads } from './chain-heads.js';
import { normaliseTimestamp } from '../json.js';
import { auditRow } from '../row-builders.js';
import { type AuditRow, toAuditEntry } from '../rows.js';
import type { AuditAppend } from '../types.js';

const COLUMNS =
  'id, correlation_id, timestamp, event_type, event_data, user_context, account_id, order_id, symbol, config_snapshot, prev_hash, hash';

export class AuditLogTable {
  private readonly insert: Database.Statement<[AuditRow]>;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly heads: ChainHeads,
  ) {
    this.insert = db.prepare(
      `INSERT INTO audit_log (${COLUMNS}) VALUES (@id, @correlation_id, @timestamp, @event_type, @event_data, @user_context, @account_id, @order_id, @symbol, @config_snapshot, @prev_hash, @hash)`,
    );
  }

  /** Writes one row chained to the head. Must run inside an IMMEDIATE transaction so no one else moves the head. */
  appendInTransaction(entry: AuditAppend, now: string, sealer: Sealer): AuditEntry {
    return toAuditEntry(this.appendRowInTransaction(entry, now, sealer));
  }

  /** The same, returning the stored row: the caller reads it back as an AuditEntry only if it needs one. */
  appendRowInTransaction(entry: AuditAppend, now: string, sealer: Sealer): AuditRow {
    const row = auditRow(entry, this.heads.next('audit_log'), now, sealer);
    this.insert.run(row);
    this.heads.advance('audit_log', row.id, row.hash);
    return row;
  }

  query(q: AuditQuery): AuditPage {
    const where: string[] = [];
    const params: Array<string | number> = [];
    const add = (clause: string, value: string | number | undefined): void => {
      if (value === undefined) return;
      where.push(clause);
      params.push(value);
    };
    add('order_id = ?', q.orderId);
    add('correlation_id = ?', q.correlationId);
    add('account_id = ?', q.accountId);
    add('event_type = ?', q.eventType);
    add('symbol = ?', q.symbol?.toUpperCase());
    add('timestamp >= ?', q.from === undefined ? undefined : normaliseTimestamp(q.from));
    add('timestamp < ?', q.to === undefined ? undefined : normaliseTimestamp(q.to));
    add('id > ?', q.afterId);
    const limit = q.limit ?? 100;
    // Ordered by id, the append order: a cursor on id gives stable pages while rows are being appended.
    const sql = `SELECT ${COLUMNS} FROM audit_log${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
    const rows = this.statement(sql).all(...params, limit + 1) as AuditRow[];
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const last = page[page.length - 1];
    return { entries: page.map(toAuditEntry), nextAfterId: more && last ? last.id : null };
  }

  /**
   * Modifications sent (or simulated) with timestamp in (from, to], or [from, to]
   * with `fromInclusive`. INDEXED BY: left to itself the planner prefers
   * audit_log_event_type and would walk every modification ever made; the
   * partial index holds only modifications, ordered by time (EXPLAIN: covering index range).
   */
  countModifications(fromIso: string, fromInclusive: boolean, toIso: string): number {
    const sql = `SELECT COUNT(*) AS n FROM audit_log INDEXED BY audit_log_modifications WHERE event_type IN ('ORDER_MODIFY_REQUESTED', 'ORDER_MODIFY_SIMULATED') AND timestamp ${fromInclusive ? '>=' : '>'} ? AND timestamp <= ?`;
    return (this.statement(sql).get(normaliseTimestamp(fromIso), normaliseTimestamp(toIso)) as { n: number }).n;
  }

  /** Highest numeric order id seen in the log (order ids may be recorded here before order_history, e.g. a risk block). */
  maxNumericOrderId(): number {
    const row = this.statement(
      "SELECT MAX(CAST(order_id AS INTEGER)) AS m FROM audit_log WHERE order_id <> '' AND order_id NOT GLOB '*[^0-9]*'",
    ).get() as { m: number | null } | undefined;
    return row?.m ?? 0;
  }

  private statement(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }
}
