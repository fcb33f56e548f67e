/**
 * chain_heads in SQLite: the last row of each hash chain, read and moved
 * inside the write transaction, and the walk of a whole chain for verify().
 */
import type Database from 'better-sqlite3';
import { type Anchor, type ChainCheck, type ChainHead, type ChainName, ChainWalk, nextAfter, type Row, type Sealer } from '../chain.js';

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
    return nextAfter(this.get(chain));
  }

  advance(chain: ChainName, id: number, hash: string): void {
    this.upsert.run(chain, id, hash);
  }
}

/** Walks one chain in id order against its anchor and recorded head (see ChainWalk). */
export function verifyChain(db: Database.Database, chain: ChainName, heads: ChainHeads, anchor: Anchor, sealer: Sealer | null): ChainCheck {
  const walk = new ChainWalk(chain, anchor, sealer);
  // The table name is one of three constants, never input.
  for (const row of db.prepare(`SELECT * FROM ${chain} ORDER BY id`).iterate() as IterableIterator<Row>) {
    // Returning from a for..of closes the iterator, which resets the statement.
    const bad = walk.step(row);
    if (bad !== null) return bad;
  }
  return walk.end(heads.get(chain));
}
