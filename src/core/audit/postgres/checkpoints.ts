/**
 * Signed checkpoints of the shared chain heads, on PostgreSQL as on SQLite
 * (../checkpoints.ts): each gateway appends, to a file in its own DATA_DIR,
 * the heads of every chain as a durable commit of its left them, HMACed with
 * the desk's key, once enough writes or time have passed and at close.
 * `audit verify` then requires every row a checkpoint names to be in the
 * database with the same hash, so a chain whose tail was deleted and whose
 * head was moved back (a superuser can switch the append-only triggers off)
 * is reported as truncated, which the chain walk alone cannot tell.
 *
 * Every gateway is a witness: rewriting the history means rewriting the
 * checkpoint files (and logs, where each checkpoint is also written) of every
 * machine of the desk. The file is named after the database (host, port,
 * name): a DATA_DIR used first with SQLite, or with another database, keeps
 * separate witnesses, and a database dropped and created again under the same
 * name is still held to what was checkpointed before.
 */
import { join } from 'node:path';
import type { StoredAnchor } from '../anchors.js';
import { type ChainName, CHAINS, type Sealer } from '../chain.js';
import { appendCheckpoint, type Checkpoint, type ChainRows, type HeadSnapshot, signCheckpoint } from '../checkpoints.js';
import { sha256Hex } from '../../hashing.js';
import type { Queryable } from './connection.js';

/** DATA_DIR/audit-pg-<database>-<hash of host:port/database>.checkpoints */
export function pgCheckpointPath(dataDir: string, url: string): string {
  let where = url;
  let name = 'db';
  try {
    const u = new URL(url);
    where = `${u.hostname}:${u.port || '5432'}${u.pathname}`;
    name = decodeURIComponent(u.pathname.replace(/^\//, '')).replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40) || 'db';
  } catch {
    // An unparseable URL could not have been connected to; the hash of the text still names it.
  }
  return join(dataDir, `audit-pg-${name}-${sha256Hex(where).slice(0, 12)}.checkpoints`);
}

export interface PgCheckpointOptions {
  /** After this many writes (default 500) or ms (default 60,000), the next durable write is checkpointed. */
  writes?: number;
  ms?: number;
  onCheckpoint?: (checkpoint: Checkpoint) => void;
  onCheckpointError?: (err: unknown) => void;
}

/** True when `a` is at or past `b` on every chain (heads only grow, so snapshots of one database are ordered). */
const atOrPast = (a: HeadSnapshot, b: HeadSnapshot): boolean => CHAINS.every((c) => a[c].lastId >= b[c].lastId);

export class PgCheckpointer {
  private durable: { at: string; snapshot: HeadSnapshot } | null = null;
  private written: { at: string; snapshot: HeadSnapshot } | null = null;
  private writes = 0;
  private lastMs = Number.NEGATIVE_INFINITY;
  private readonly every: { writes: number; ms: number };

  constructor(
    readonly path: string,
    private readonly anchors: ReadonlyMap<ChainName, StoredAnchor>,
    private readonly now: () => number,
    private readonly options: PgCheckpointOptions = {},
  ) {
    this.every = { writes: options.writes ?? 500, ms: options.ms ?? 60_000 };
  }

  /**
   * A write committed, leaving `snapshot` (the heads as its transaction left
   * them). Only a durable commit's snapshot is checkpointed: everything before
   * it in the WAL reached the disk with it (relaxed commits included), so a
   * crash of the database server never makes a checkpoint name a lost row.
   */
  committed(at: string, snapshot: HeadSnapshot, durable: boolean, sealer: Sealer): void {
    this.writes += 1;
    if (!durable) return;
    // Commits resolve in any order; keep the furthest.
    if (this.durable === null || atOrPast(snapshot, this.durable.snapshot)) this.durable = { at, snapshot };
    if (this.writes >= this.every.writes || this.now() - this.lastMs >= this.every.ms) this.write(sealer);
  }

  /** Signs and appends the last durable snapshot unless it is already written (at close, and when due). */
  write(sealer: Sealer): void {
    const durable = this.durable;
    if (durable === null || durable === this.written) return;
    const cp = signCheckpoint(durable.at, durable.snapshot, this.anchors, sealer);
    try {
      appendCheckpoint(this.path, cp);
      this.written = durable;
      this.writes = 0;
      this.lastMs = this.now();
      this.options.onCheckpoint?.(cp);
    } catch (err) {
      // The rows are committed; failing the caller would make it retry a write that happened.
      this.options.onCheckpointError?.(err);
    }
  }
}

/** The rows the checkpoints name, read in the caller's snapshot, for checkAgainstDatabase. */
export async function checkpointedRows(db: Queryable, checkpoints: readonly Checkpoint[]): Promise<ChainRows> {
  const hashes = new Map<ChainName, Map<number, string>>();
  const maxIds = new Map<ChainName, number>();
  for (const chain of CHAINS) {
    const ids = [...new Set(checkpoints.map((cp) => cp.heads[chain]?.id ?? 0).filter((id) => id > 0))];
    const found = ids.length === 0 ? [] : (await db.query<{ id: string | number; hash: string }>(`SELECT id, hash FROM ${chain} WHERE id = ANY($1::bigint[])`, [ids])).rows;
    hashes.set(chain, new Map(found.map((r) => [Number(r.id), r.hash])));
    const max = (await db.query<{ m: string | number | null }>(`SELECT MAX(id) AS m FROM ${chain}`)).rows[0]?.m;
    maxIds.set(chain, Number(max ?? 0));
  }
  return {
    hashAt: (chain, id) => hashes.get(chain)?.get(id),
    maxId: (chain) => maxIds.get(chain) ?? 0,
  };
}
