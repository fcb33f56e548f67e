/**
 * `ibkr-gateway audit migrate`: copies a SQLite audit.db into an empty
 * PostgreSQL store, row for row. Rows keep their ids, contents and hashes
 * (the column types are chosen for that, see migrations.ts), the anchors and
 * heads come along, so the chains are the same chains: the source is verified
 * before the copy (a broken log is not carried over as if it were sound) and
 * the target after it, with the same key, end to end.
 *
 * The copy is one transaction under the write lock: a gateway started on the
 * database meanwhile waits, and a failed copy leaves the database empty.
 */
import Database from 'better-sqlite3';
import { AuditError } from '../../errors.js';
import type { AuditVerifyResult } from '../../models.js';
import { auditDbPath, openAuditStore } from '../sqlite/store.js';
import { CHAINS } from '../chain.js';
import { createPool, type PoolClient, withClient } from './connection.js';
import { migratePostgres } from './migrations.js';
import { openPostgresStore } from './store.js';
import { writeTransaction } from './transaction.js';

export interface CopyOptions {
  /** DATA_DIR holding audit.db (and audit.key / checkpoints). */
  dataDir: string;
  url: string;
  hmacKey?: string | null;
}

export interface CopyReport {
  rows: Record<string, number>;
  source: AuditVerifyResult;
  target: AuditVerifyResult;
}

/** Tables copied as they are, in this order (chains first, then what refers to them). */
const TABLES = [...CHAINS, 'chain_anchors', 'chain_heads', 'idempotency_keys'] as const;
const BATCH = 500;

export async function copySqliteToPostgres(options: CopyOptions): Promise<CopyReport> {
  // The source must verify before anything is copied; the store also brings it to the latest schema.
  const sqliteStore = openAuditStore({ dataDir: options.dataDir, hmacKey: options.hmacKey });
  let source: AuditVerifyResult;
  try {
    source = await Promise.resolve(sqliteStore.verify());
  } finally {
    await Promise.resolve(sqliteStore.close());
  }
  if (!source.ok) throw new AuditError(`audit.db does not verify, so it is not copied: ${source.reason ?? 'unknown reason'}`, 'AUDIT_CORRUPT', { source });

  const pool = await createPool(options.url, { max: 1 });
  const rows: Record<string, number> = {};
  try {
    await withClient(pool, (client) => migratePostgres(client, () => new Date().toISOString()));
    const db = new Database(auditDbPath(options.dataDir), { readonly: true, fileMustExist: true });
    try {
      await writeTransaction(pool, {}, async (client) => {
        await refuseNonEmpty(client);
        // One read snapshot of the file for the whole copy.
        db.exec('BEGIN');
        for (const table of TABLES) rows[table] = await copyTable(db, client, table);
        db.exec('COMMIT');
      });
    } finally {
      db.close();
    }
  } finally {
    await pool.end();
  }

  const target = await openPostgresStore({ url: options.url, dataDir: options.dataDir, hmacKey: options.hmacKey });
  try {
    const result = await target.verify();
    if (!result.ok) throw new AuditError(`the copy in PostgreSQL does not verify: ${result.reason ?? 'unknown reason'}`, 'AUDIT_CORRUPT', { target: result });
    return { rows, source, target: result };
  } finally {
    await target.close();
  }
}

async function refuseNonEmpty(client: PoolClient): Promise<void> {
  for (const table of TABLES) {
    const r = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    if ((r.rows[0]?.n ?? 0) > 0) {
      throw new AuditError(`the PostgreSQL store already holds rows (${table}); audit migrate only copies into an empty database`, 'AUDIT_UNAVAILABLE', { table });
    }
  }
}

async function copyTable(db: Database.Database, client: PoolClient, table: (typeof TABLES)[number]): Promise<number> {
  const order = table === 'chain_anchors' || table === 'chain_heads' ? 'chain' : table === 'idempotency_keys' ? 'scope, key' : 'id';
  let batch: Array<Record<string, unknown>> = [];
  let copied = 0;
  const flush = async (): Promise<void> => {
    const first = batch[0];
    if (first === undefined) return;
    const columns = Object.keys(first);
    const values: unknown[] = [];
    const tuples = batch.map((row) => `(${columns.map((c) => `$${values.push(row[c] ?? null)}`).join(', ')})`);
    await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, values);
    copied += batch.length;
    batch = [];
  };
  for (const row of db.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).iterate() as IterableIterator<Record<string, unknown>>) {
    batch.push(row);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  return copied;
}
