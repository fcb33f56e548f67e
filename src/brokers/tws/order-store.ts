/**
 * What the adapter must remember across restarts of the gateway process
 * (SQLite, `${dataDir}/tws-orders.db`): the highest order id it ever used (so
 * ids never collide, even when IBKR's nextValidId lags after a restart), the
 * orders it placed with their last known state, and every execution it has
 * reported (so a fill recovered at reconciliation is reported once, never twice).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { preparePrivateSqlite } from '../../core/audit/private-files.js';
import type { Fill } from '../../core/models.js';
import type { BrokerOrderState } from '../../core/broker/port.js';

export class OrderStore {
  private readonly db: Database.Database;

  constructor(dataDir: string) {
    fs.mkdirSync(dataDir, { recursive: true });
    // Orders, fills and account ids are as private as the audit log.
    const file = path.join(dataDir, 'tws-orders.db');
    preparePrivateSqlite(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS orders (order_id TEXT PRIMARY KEY, perm_id INTEGER, state TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS fills (exec_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, time TEXT NOT NULL, account TEXT, fill TEXT NOT NULL);
    `);
  }

  close(): void {
    this.db.close();
  }

  meta(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  highestOrderId(): number {
    return Number(this.meta('highest_order_id') ?? 0) || 0;
  }

  noteOrderId(id: number): void {
    if (id > this.highestOrderId()) this.setMeta('highest_order_id', String(id));
  }

  saveOrder(state: BrokerOrderState, permId: number | null): void {
    this.db.prepare('INSERT INTO orders (order_id, perm_id, state) VALUES (?, ?, ?) ON CONFLICT(order_id) DO UPDATE SET perm_id = excluded.perm_id, state = excluded.state').run(state.orderId, permId, JSON.stringify(state));
  }

  orders(): { state: BrokerOrderState; permId: number | null }[] {
    const rows = this.db.prepare('SELECT perm_id, state FROM orders').all() as { perm_id: number | null; state: string }[];
    return rows.map((r) => ({ state: JSON.parse(r.state) as BrokerOrderState, permId: r.perm_id }));
  }

  hasFill(execId: string): boolean {
    return this.db.prepare('SELECT 1 FROM fills WHERE exec_id = ?').get(execId) !== undefined;
  }

  fill(execId: string): Fill | null {
    const row = this.db.prepare('SELECT fill FROM fills WHERE exec_id = ?').get(execId) as { fill: string } | undefined;
    return row ? (JSON.parse(row.fill) as Fill) : null;
  }

  addFill(fill: Fill, account: string | null): void {
    this.db.prepare('INSERT OR IGNORE INTO fills (exec_id, order_id, time, account, fill) VALUES (?, ?, ?, ?, ?)').run(fill.execId, fill.orderId, fill.time, account, JSON.stringify(fill));
  }

  fillsOf(orderId: string): Fill[] {
    const rows = this.db.prepare('SELECT fill FROM fills WHERE order_id = ? ORDER BY time').all(orderId) as { fill: string }[];
    return rows.map((r) => JSON.parse(r.fill) as Fill);
  }

  lastFillTime(): string | null {
    const row = this.db.prepare('SELECT MAX(time) AS t FROM fills').get() as { t: string | null } | undefined;
    return row?.t ?? null;
  }
}
