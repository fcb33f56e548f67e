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
import type { AuditEventType, Fill, OrderEvent, OrderEventKind, OrderStatus } from '../../models.js';
import { fromJsonText } from '../json.js';
import { toOrderDetail } from './order-history.js';

type HistoryRow = Parameters<typeof toOrderDetail>[0];

interface EventRow extends HistoryRow {
  event_type: string;
  previous_status: string | null;
  previous_fill_count: number | null;
}

const SELECT = `SELECT h.*, a.event_type AS event_type, p.status AS previous_status, json_array_length(p.fills) AS previous_fill_count
  FROM order_history h
  JOIN audit_log a ON a.id = h.audit_id
  LEFT JOIN order_history p ON p.order_id = h.order_id AND p.version = h.version - 1`;

function toOrderEvent(row: EventRow): OrderEvent {
  const order = toOrderDetail(row);
  const fills = fromJsonText<Fill[]>(row.fills);
  const previousFills = row.previous_fill_count ?? 0;
  // An execution the broker made without an order is recorded as an order born with its fill: that first version is its FILL event.
  const fillEvent = row.version > 1 || row.event_type === 'BROKER_INITIATED_FILL';
  const added = fillEvent && fills.length > previousFills ? (fills[fills.length - 1] ?? null) : null;
  const kind: OrderEventKind = added !== null ? 'FILL' : row.version === 1 ? 'NEW' : 'STATUS';
  return {
    sequence: row.id,
    kind,
    orderId: row.order_id,
    status: row.status as OrderStatus,
    previousStatus: row.previous_status as OrderStatus | null,
    fill: added,
    auditEventType: row.event_type as AuditEventType,
    correlationId: row.correlation_id,
    timestamp: row.updated_at,
    order,
  };
}

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
