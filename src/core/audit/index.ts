/** The audit log: public API. */
export type { AuditAppend, AuditStore, IdempotencyBegin, OrderVersionInput } from './types.js';
export { AUDIT_DB_FILE, auditDbPath, openAuditStore, type AuditStoreOptions, type SqliteAuditStore } from './audit-store.js';
export { CSV_COLUMNS, EXPORT_FORMATS, csvField, csvLine, exportAudit, jsonlLine, type ExportFilter, type ExportFormat } from './export.js';
export { GENESIS_HASH, rowHash, type ChainName } from './chain.js';
export { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations.js';
