/**
 * chain_heads in SQLite: the last row of each hash chain, read and moved
 * inside the write transaction, and the walk of a whole chain for verify().
 */
import type Database from 'better-sqlite3';
import { type Anchor, type ChainCheck, type ChainHead, type ChainName, ChainWalk, nextAfter, type Row, type Sealer } from '../chain.js';

/** An UPSERT of `rows` heads (the forward-only trigger checks each row it updates). */
const upsertSql = (rows: number): string =>
  `INSERT INTO chain_heads (chain, last_id, last_hash) VALUES ${Array.from({ length: rows }, () => '(?, ?, ?)').join(', ')} ON CONFLICT(chain) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash`;

export class ChainHeads {
  private readonly select: Database.Statement<[string], { last_id: number; last_hash: string }>;
  private readonly upsert: Database.Statement<[string, number, string]>;
  /** One UPSERT of 2 or 3 heads (index: how many), for flush(): a statement per batch, not per chain moved. */
  private readonly upserts: Array<Database.Statement<Array<string | number>> | undefined> = [];
  /**
   * Inside a write transaction (begin()..end()): each chain's head as read or
   * moved so far in it. A batch of 32 orders moves a head dozens of times; it
   * is read once and written once per chain (flush(), before COMMIT), instead
   * of a SELECT and an UPSERT per row. Another process cannot move a head
   * meanwhile: the transaction holds the write lock from BEGIN IMMEDIATE.
   */
  private open: Map<ChainName, { head: ChainHead | null; moved: boolean }> | null = null;
  /**
   * The heads as this connection's last committed batch left them, and the
   * PRAGMA data_version read at that batch's start. That value moves only
   * when another connection commits, so while it stands still the heads are
   * still these and a batch needs no SELECT to find them (at 50 orders/s no
   * two orders share a batch, and each batch read every head it touched).
   */
  private kept: Map<ChainName, ChainHead | null> | null = null;
  private keptVersion: number | null = null;

  constructor(private readonly db: Database.Database) {
    this.select = db.prepare('SELECT last_id, last_hash FROM chain_heads WHERE chain = ?');
    this.upsert = db.prepare(upsertSql(1));
  }

  get(chain: ChainName): ChainHead | null {
    const held = this.open?.get(chain);
    if (held !== undefined) return held.head;
    const row = this.select.get(chain);
    const head = row ? { lastId: row.last_id, lastHash: row.last_hash } : null;
    this.open?.set(chain, { head, moved: false });
    return head;
  }

  /** The id and prev_hash the next row of `chain` must have. Call inside the write transaction. */
  next(chain: ChainName): { id: number; prevHash: string } {
    return nextAfter(this.get(chain));
  }

  advance(chain: ChainName, id: number, hash: string): void {
    if (this.open) this.open.set(chain, { head: { lastId: id, lastHash: hash }, moved: true });
    else {
      this.kept = null;
      this.upsert.run(chain, id, hash);
    }
  }

  /**
   * Called first inside a write transaction: heads are held in memory until
   * flush(). `dataVersion` is PRAGMA data_version read inside it (the write
   * lock is held, so no one else can commit until it ends): unchanged since
   * the last committed batch, that batch's heads are taken as read.
   */
  begin(dataVersion?: number): void {
    this.open = new Map();
    if (dataVersion === undefined || dataVersion !== this.keptVersion || this.kept === null) {
      this.kept = null;
      this.keptVersion = dataVersion ?? null;
      return;
    }
    for (const [chain, head] of this.kept) this.open.set(chain, { head, moved: false });
  }

  /** The batch committed: its heads are the table's until another connection commits. */
  committed(): void {
    if (this.open === null || this.keptVersion === null) return;
    this.kept = new Map([...this.open].map(([chain, held]) => [chain, held.head]));
  }

  /** The heads as they stand, to put back with restore() when one write of the batch is rolled back (its SAVEPOINT). */
  save(): ReadonlyMap<ChainName, { head: ChainHead | null; moved: boolean }> | null {
    return this.open === null ? null : new Map(this.open);
  }

  restore(saved: ReadonlyMap<ChainName, { head: ChainHead | null; moved: boolean }> | null): void {
    if (saved !== null && this.open !== null) this.open = new Map(saved);
  }

  /** Writes the heads moved in this transaction, in one statement; call last inside it, before COMMIT. */
  flush(): void {
    if (this.open === null) return;
    const values: Array<string | number> = [];
    for (const [chain, held] of this.open) if (held.moved && held.head !== null) values.push(chain, held.head.lastId, held.head.lastHash);
    const count = values.length / 3;
    if (count === 0) return;
    if (count === 1) {
      this.upsert.run(values[0] as string, values[1] as number, values[2] as string);
      return;
    }
    let st = this.upserts[count];
    if (st === undefined) this.upserts[count] = st = this.db.prepare<Array<string | number>>(upsertSql(count));
    st.run(...values);
  }

  /** After COMMIT or ROLLBACK: back to reading and writing the table directly. */
  end(): void {
    this.open = null;
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
