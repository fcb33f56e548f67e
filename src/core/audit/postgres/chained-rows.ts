/**
 * Appending chained rows on PostgreSQL inside a write transaction
 * (transaction.ts). The rows are built by ../row-builders.ts, as on SQLite,
 * so hashes agree and `audit migrate` can copy a chain as it is; this file
 * only finds the previous version and inserts.
 */
import type { AuditEntry, OrderDetail } from '../../models.js';
import type { Sealer } from '../chain.js';
import { auditRow, clientOrderIdReused, historyRow, isPlacement, stateLogRow } from '../row-builders.js';
import { type HistoryRow, type StateChange, toAuditEntry, toOrderDetail } from '../rows.js';
import type { AuditAppend, OrderVersionInput } from '../types.js';
import { type PoolClient, pgCode, UNIQUE_VIOLATION } from './connection.js';
import { insertRow, type PgHeads } from './transaction.js';

export class ChainedRows {
  constructor(
    private readonly client: PoolClient,
    private readonly heads: PgHeads,
    private readonly sealer: Sealer,
    private readonly now: string,
    /** The correlation id of the request this write serves, for its state_log rows. */
    private readonly correlationId: string,
  ) {}

  async audit(entry: AuditAppend): Promise<AuditEntry> {
    const row = auditRow(entry, this.heads.next('audit_log'), this.now, this.sealer);
    await insertRow(this.client, 'audit_log', { ...row });
    this.heads.advance('audit_log', row.id, row.hash);
    return toAuditEntry(row);
  }

  /** The order's latest version as this transaction sees it (null: no such order). */
  async latestOrder(orderId: string): Promise<OrderDetail | null> {
    const row = (await this.client.query<HistoryRow>('SELECT * FROM order_history WHERE order_id = $1 ORDER BY version DESC LIMIT 1', [orderId])).rows[0];
    return row ? toOrderDetail(row) : null;
  }

  async orderVersion(v: OrderVersionInput, auditId: number): Promise<OrderDetail> {
    const previous = (await this.client.query<HistoryRow>('SELECT * FROM order_history WHERE order_id = $1 ORDER BY version DESC LIMIT 1', [v.orderId])).rows[0];
    const placedSeq = isPlacement(v, previous)
      ? Number((await this.client.query<{ m: number | null }>('SELECT MAX(placed_seq) AS m FROM order_history')).rows[0]?.m ?? 0) + 1
      : null;
    const row = historyRow(v, previous, this.heads.next('order_history'), auditId, this.now, placedSeq, this.sealer);
    try {
      await insertRow(this.client, 'order_history', { ...row });
    } catch (err) {
      throw (pgCode(err) === UNIQUE_VIOLATION ? clientOrderIdReused(row) : null) ?? err;
    }
    this.heads.advance('order_history', row.id, row.hash);
    return toOrderDetail(row);
  }

  async state(change: StateChange): Promise<void> {
    const row = stateLogRow(change, this.heads.next('state_log'), this.now, this.correlationId, this.sealer);
    await insertRow(this.client, 'state_log', { ...row });
    this.heads.advance('state_log', row.id, row.hash);
  }
}
