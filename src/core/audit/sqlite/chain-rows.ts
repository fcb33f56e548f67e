/** ChainRows (checkpoints.ts) read from SQLite, with statements prepared once per connection. */
import type Database from 'better-sqlite3';
import type { ChainName } from '../chain.js';
import type { ChainRows } from '../checkpoints.js';

/** verify() checks every line of a file that grows for the life of the log: prepare each query once. */
const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();
function prepared(db: Database.Database, sql: string): Database.Statement {
  let byDb = statements.get(db);
  if (!byDb) statements.set(db, (byDb = new Map()));
  let st = byDb.get(sql);
  if (!st) byDb.set(sql, (st = db.prepare(sql)));
  return st;
}

// Table names are one of three constants, never input.
export const sqliteChainRows = (db: Database.Database): ChainRows => ({
  hashAt: (chain: ChainName, id: number) => (prepared(db, `SELECT hash FROM ${chain} WHERE id = ?`).get(id) as { hash: string } | undefined)?.hash,
  maxId: (chain: ChainName) => (prepared(db, `SELECT MAX(id) AS m FROM ${chain}`).get() as { m: number | null }).m ?? 0,
});
