/**
 * The audit log: data/audit.db, append-only and hash-chained.
 *
 *   openAuditStore({ dataDir, clock?, synchronous?, busyTimeoutMs? }) -> SqliteAuditStore (an AuditStore)
 *   exportAudit(store, 'csv' | 'jsonl', filter?) -> Generator<string>, streamed page by page
 *
 * Every failure inside the store is an AuditError (AUDIT_UNAVAILABLE), except a
 * reused idempotency key or clientOrderId (IdempotencyConflictError).
 */
export type { AuditAppend, AuditStore, IdempotencyBegin, OrderVersionInput } from './types.js';
export { AUDIT_DB_FILE, auditDbPath, openAuditStore, type AuditStoreOptions, type SqliteAuditStore } from './audit-store.js';
export { CSV_COLUMNS, EXPORT_FORMATS, csvField, csvLine, exportAudit, jsonlLine, type ExportFilter, type ExportFormat } from './export.js';
export { GENESIS_HASH, rowHash, type ChainName } from './chain.js';
export { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations.js';
