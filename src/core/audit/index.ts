/**
 * The audit log: the AuditStore interface (types.ts, asynchronous), the
 * SQLite store (sqlite/, data/audit.db), and what every back end shares.
 * Append-only and chained with HMAC-SHA-256
 * under a key outside the database (DATA_DIR/audit.key or AUDIT_HMAC_KEY),
 * with signed checkpoints of the chain heads in DATA_DIR/audit.checkpoints.
 *
 *   openAuditStore({ dataDir, clock?, synchronous?, busyTimeoutMs?, hmacKey?, onCheckpoint? }) -> SqliteAuditStore
 *   exportAudit(store, 'csv' | 'jsonl', filter?) -> AsyncGenerator<string>, streamed page by page
 *
 * Every failure inside the store is an AuditError (AUDIT_UNAVAILABLE), except a
 * reused idempotency key or clientOrderId (IdempotencyConflictError).
 */
export type { AuditAppend, AuditStore, Durability, IdempotencyBegin, OrderListFilter, OrderScope, OrderVersionInput, WriteOptions } from './types.js';
export { AUDIT_DB_FILE, auditDbPath, openAuditStore, type AuditStoreOptions, type SqliteAuditStore } from './sqlite/store.js';
export { CSV_COLUMNS, EXPORT_FORMATS, csvField, csvLine, exportAudit, jsonlLine, type ExportFilter, type ExportFormat } from './export.js';
export { CHAINS, GENESIS_HASH, rowHash, type ChainName } from './chain.js';
export { CHECKPOINT_FILE, checkpointPath, type Checkpoint } from './checkpoints.js';
export { AUDIT_KEY_FILE, auditKeyPath } from './key.js';
export { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './sqlite/migrations.js';
