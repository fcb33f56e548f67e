/**
 * The hash chains. Each row's hash is sha256 over the canonical JSON of the
 * row's stored column values (the hash column itself left out, NULL columns
 * left out so that a later migration adding a nullable column does not change
 * old rows' hashes) including prev_hash, the previous row's hash. Hashing the
 * values exactly as stored lets verify() recompute without re-encoding.
 *
 * audit_log and order_history each have their own chain (see audit-store.ts
 * for why), and chain_heads remembers the last row of each so that a
 * truncated tail is noticed too.
 */
import type Database from 'better-sqlite3';
import { canonicalJson, sha256Hex } from '../hashing.js';

export const GENESIS_HASH = '0'.repeat(64);

export type ChainName = 'audit_log' | 'order_history';
export type Row = Record<string, string | number | null>;

export function rowHash(chain: ChainName, row: Row): string {
  const content: Record<string, string | number> = {};
  for (const [column, value] of Object.entries(row)) {
    if (column === 'hash' || value === null) continue;
    content[column] = value;
  }
  // The chain name is hashed too, so a row cannot be moved to the other table unnoticed.
  return sha256Hex(canonicalJson({ chain, row: content }));
}

export interface ChainHead {
  lastId: number;
  lastHash: string;
}

export class ChainHeads {
  private readonly select: Database.Statement<[string], { last_id: number; last_hash: string }>;
  private readonly upsert: Database.Statement<[string, number, string]>;

  constructor(db: Database.Database) {
    this.select = db.prepare('SELECT last_id, last_hash FROM chain_heads WHERE chain = ?');
    this.upsert = db.prepare(
      'INSERT INTO chain_heads (chain, last_id, last_hash) VALUES (?, ?, ?) ON CONFLICT(chain) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash',
    );
  }

  get(chain: ChainName): ChainHead | null {
    const row = this.select.get(chain);
    return row ? { lastId: row.last_id, lastHash: row.last_hash } : null;
  }

  /** The id and prev_hash the next row of `chain` must have. Call inside the write transaction. */
  next(chain: ChainName): { id: number; prevHash: string } {
    const head = this.get(chain);
    return head ? { id: head.lastId + 1, prevHash: head.lastHash } : { id: 1, prevHash: GENESIS_HASH };
  }

  advance(chain: ChainName, id: number, hash: string): void {
    this.upsert.run(chain, id, hash);
  }
}

export interface ChainCheck {
  ok: boolean;
  checkedRows: number;
  firstBadId: number | null;
  reason: string | null;
}

/**
 * Walks one chain from its first row. Reports the first row that fails: an id
 * gap (a row was removed), a prev_hash that is not the previous row's hash,
 * or content that no longer matches its hash (an edit); then compares the
 * last row with the recorded head (rows removed from the end).
 */
export function verifyChain(db: Database.Database, chain: ChainName, heads: ChainHeads): ChainCheck {
  // The table name is one of two constants, never input.
  const rows = db.prepare(`SELECT * FROM ${chain} ORDER BY id`).iterate() as IterableIterator<Row>;
  let prevHash = GENESIS_HASH;
  let expectedId = 1;
  let checked = 0;
  const bad = (id: number, reason: string): ChainCheck => ({ ok: false, checkedRows: checked, firstBadId: id, reason: `${chain} row ${id}: ${reason}` });

  for (const row of rows) {
    const id = Number(row.id);
    if (id !== expectedId) {
      const missing = expectedId === id - 1 ? `row ${expectedId} is missing` : `rows ${expectedId}-${id - 1} are missing`;
      // Returning from a for..of closes the iterator, which resets the statement.
      return bad(id, `${missing} (deleted)`);
    }
    if (row.prev_hash !== prevHash) return bad(id, 'prev_hash does not match the previous row (a row before it was removed or replaced)');
    if (rowHash(chain, row) !== row.hash) return bad(id, 'content does not match its hash (the row was edited)');
    prevHash = String(row.hash);
    expectedId = id + 1;
    checked += 1;
  }

  const lastId = expectedId - 1;
  const head = heads.get(chain);
  if (head === null) {
    if (lastId === 0) return { ok: true, checkedRows: 0, firstBadId: null, reason: null };
    return bad(1, 'the chain head record is missing');
  }
  if (head.lastId > lastId) return bad(lastId + 1, `the chain head records row ${head.lastId} but the table ends at row ${lastId} (rows removed from the end)`);
  if (head.lastId < lastId) return bad(head.lastId + 1, `rows after the chain head (row ${head.lastId}) were not written by the audit store`);
  if (head.lastHash !== prevHash) return bad(lastId, 'the last row\'s hash differs from the one recorded in the chain head (the row was replaced)');
  return { ok: true, checkedRows: checked, firstBadId: null, reason: null };
}
