/**
 * Export of the audit log as CSV or JSON Lines. Rows are read page by page
 * through AuditStore.query (an id cursor), so an export of any size runs in
 * constant memory and works against any AuditStore. prev_hash and hash are
 * exported verbatim, so an export can be re-checked away from the database.
 * Values are written exactly as stored (no spreadsheet-formula escaping): an
 * audit export must be faithful.
 */
import type { AuditEntry, AuditQuery } from '../models.js';
import type { AuditStore } from './types.js';

export type ExportFormat = 'csv' | 'jsonl';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'jsonl'];

export const CSV_COLUMNS = [
  'id',
  'correlation_id',
  'timestamp',
  'event_type',
  'order_id',
  'account_id',
  'event_data',
  'user_context',
  'config_snapshot',
  'prev_hash',
  'hash',
] as const;

/** RFC 4180: quote a field when it holds a comma, quote, CR or LF; double the quotes inside. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(entry: AuditEntry): string {
  const values: Array<string | number | null> = [
    entry.id,
    entry.correlationId,
    entry.timestamp,
    entry.eventType,
    entry.orderId,
    entry.accountId,
    JSON.stringify(entry.eventData),
    JSON.stringify(entry.userContext),
    entry.configSnapshot === null ? null : JSON.stringify(entry.configSnapshot),
    entry.prevHash,
    entry.hash,
  ];
  return `${values.map(csvField).join(',')}\r\n`;
}

export const jsonlLine = (entry: AuditEntry): string => `${JSON.stringify(entry)}\n`;

export type ExportFilter = Omit<AuditQuery, 'afterId' | 'limit'>;

/** Yields the export chunk by chunk (header first for CSV), oldest row first. */
export async function* exportAudit(store: AuditStore, format: ExportFormat, filter: ExportFilter = {}, pageSize = 500): AsyncGenerator<string> {
  if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\r\n`;
  const line = format === 'csv' ? csvLine : jsonlLine;
  let afterId: number | undefined;
  for (;;) {
    const page = await store.query({ ...filter, afterId, limit: pageSize });
    if (page.entries.length > 0) yield page.entries.map(line).join('');
    if (page.nextAfterId === null) return;
    afterId = page.nextAfterId;
  }
}
