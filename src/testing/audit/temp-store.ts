/**
 * Test support: each test gets a fresh SQLite audit store in its own temp
 * DATA_DIR (synchronous=NORMAL: these tests are about what is written, not
 * about fsync), closed and removed after it. Call at the top level of a test
 * file; the returned object's fields are set before every test.
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach } from 'vitest';
import { auditDbPath, openAuditStore, type SqliteAuditStore } from '../../core/audit/sqlite/store.js';
import { tempDir } from './samples.js';

export interface TempStore {
  dir: string;
  store: SqliteAuditStore;
  /** Runs `fn` on a second, plain connection to the store's file (to read its plan or indexes, or to wind its schema back), closed after. */
  withFile<T>(fn: (db: Database.Database) => T): T;
  /** Another process's handle on the same file (another gateway, the CLI), closed after the test. */
  openOther(options?: { busyTimeoutMs?: number }): SqliteAuditStore;
}

export function useTempSqliteStore(): TempStore {
  const current = {
    withFile<T>(fn: (db: Database.Database) => T): T {
      const db = new Database(auditDbPath(current.dir));
      try {
        return fn(db);
      } finally {
        db.close();
      }
    },
  } as TempStore;
  let cleanup: () => void = () => undefined;
  let others: SqliteAuditStore[] = [];
  current.openOther = (options) => {
    const other = openAuditStore({ dataDir: current.dir, synchronous: 'NORMAL', ...options });
    others.push(other);
    return other;
  };
  beforeEach(() => {
    const temp = tempDir();
    cleanup = temp.cleanup;
    current.dir = temp.dir;
    current.store = openAuditStore({ dataDir: temp.dir, synchronous: 'NORMAL' });
  });
  afterEach(async () => {
    for (const other of others) await other.close();
    others = [];
    await current.store.close();
    cleanup();
  });
  return current;
}
