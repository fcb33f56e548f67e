/**
 * The rows of the chained tables as PostgreSQL returns them (bigint read as a
 * number, see connection.ts): the same shapes the SQLite tables use, so the
 * same conversions to the API's models apply.
 */
import { toAuditEntry } from '../sqlite/audit-log.js';
import { toOrderDetail } from '../sqlite/order-history.js';

export { toAuditEntry, toOrderDetail };

export type AuditRow = Parameters<typeof toAuditEntry>[0];
export type HistoryRow = Parameters<typeof toOrderDetail>[0];

export interface StateLogRow {
  id: number;
  timestamp: string;
  correlation_id: string | null;
  kind: string;
  name: string;
  key: string;
  change: string;
  owner: string | null;
  request_hash: string | null;
  value: string | null;
  prev_hash: string;
  hash: string;
}
