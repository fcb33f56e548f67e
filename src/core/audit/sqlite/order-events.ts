/**
 * Order events read back from order_history: every version of an order is one
 * event, and its row id is the event's sequence number. Ids are allocated
 * inside the write transaction that holds the database's write lock (see
 * chain.ts), so they grow in commit order across processes: "every event with
 * sequence > N" never misses one committed earlier and never repeats one.
 *
 * The row id is the table's INTEGER PRIMARY KEY, and the previous version of
 * an order is found through UNIQUE(order_id, version), so these reads need no
 * new index.
 */
import type Database from 'better-sqlite3';
import type { OrderEvent } from '../../models.js';
import { type EventRow, toOrderEvent } from '../rows.js';

const SELECT = `SELECT h.*, a.event_type AS event_type, p.status AS previous_status, json_array_length(p.fills) AS previous_fill_count
  FROM order_history h
  JOIN audit_log a ON a.id = h.audit_id
  LEFT JOIN order_history p ON p.order_id = h.order_id AND p.version = h.version - 1`;

export class OrderEventsTable {
  private readonly after: Database.Statement<[number, number], EventRow>;
  private readonly newest: Database.Statement<[number], EventRow>;
  private readonly last: Database.Statement<[], { m: number | null }>;

  constructor(db: Database.Database) {
    this.after = db.prepare(`${SELECT} WHERE h.id > ? ORDER BY h.id LIMIT ?`);
    this.newest = db.prepare(`${SELECT} ORDER BY h.id DESC LIMIT ?`);
    this.last = db.prepare('SELECT MAX(id) AS m FROM order_history');
  }

  /** Events with sequence > afterSequence, oldest first; the latest `limit` when afterSequence is undefined. */
  list(afterSequence: number | undefined, limit: number): OrderEvent[] {
    if (afterSequence === undefined) return this.newest.all(limit).reverse().map(toOrderEvent);
    return this.after.all(afterSequence, limit).map(toOrderEvent);
  }

  lastSequence(): number {
    return this.last.get()?.m ?? 0;
  }
}
