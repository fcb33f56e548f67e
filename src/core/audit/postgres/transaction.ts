/**
 * Write transactions on PostgreSQL, and the chain heads inside them.
 *
 * Every write takes one transaction-scoped advisory lock before it reads a
 * chain head, the PostgreSQL counterpart of SQLite's BEGIN IMMEDIATE: writers
 * of every gateway on the database are serialised, so a chain never forks,
 * ids grow in commit order (the lock is released by COMMIT itself, so the
 * next writer sees this one's rows) and the order-event sequence never skips
 * a row committed later with a smaller id. One lock rather than one per
 * chain: recordOrder writes two chains and a claim writes a third, and a
 * single lock cannot deadlock. bench/audit-postgres.js measures what it costs.
 *
 * Each write also sends NOTIFY on CHANGE_CHANNEL, delivered at commit to every
 * listening gateway (changes.ts): that is how the kill switch set by one
 * gateway reaches the others.
 */
import type { ChainName } from '../chain.js';
import { GENESIS_HASH } from '../chain.js';
import type { Pool, PoolClient } from './connection.js';

/** The advisory lock key serialising chain writers (distinct from the migration lock). */
export const WRITE_LOCK = 4_242_000;
export const CHANGE_CHANNEL = 'ibkr_gateway_store';

export interface TxOptions {
  /** Commit without waiting for the WAL flush (synchronous_commit = off): only for rows a crash may lose safely. */
  relaxed?: boolean;
}

/** Runs `fn` in one locked write transaction; rolls back on any error. */
export async function writeTransaction<T>(pool: Pool, options: TxOptions, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
      if (options.relaxed) await client.query('SET LOCAL synchronous_commit = off');
      const result = await fn(client);
      await client.query(`NOTIFY ${CHANGE_CHANNEL}`);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
        // The connection itself failed: do not give it back to the pool.
        broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
      });
      throw err;
    }
  } catch (err) {
    broken ??= isConnectionError(err) ? (err as Error) : undefined;
    throw err;
  } finally {
    client.release(broken);
  }
}

function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = 'code' in err ? String(err.code) : '';
  return code.startsWith('08') || code === '57P01' || code === 'ECONNRESET' || code === 'ECONNREFUSED' || /Connection terminated/i.test(err.message);
}

export interface Head {
  lastId: number;
  lastHash: string;
}

/** chain_heads inside a write transaction (the advisory lock is held). */
export class PgHeads {
  constructor(private readonly client: PoolClient) {}

  async get(chain: ChainName): Promise<Head | null> {
    const r = await this.client.query<{ last_id: number; last_hash: string }>('SELECT last_id, last_hash FROM chain_heads WHERE chain = $1', [chain]);
    const row = r.rows[0];
    return row ? { lastId: row.last_id, lastHash: row.last_hash } : null;
  }

  async next(chain: ChainName): Promise<{ id: number; prevHash: string }> {
    const head = await this.get(chain);
    return head ? { id: head.lastId + 1, prevHash: head.lastHash } : { id: 1, prevHash: GENESIS_HASH };
  }

  async advance(chain: ChainName, id: number, hash: string): Promise<void> {
    await this.client.query(
      'INSERT INTO chain_heads (chain, last_id, last_hash) VALUES ($1, $2, $3) ON CONFLICT (chain) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash',
      [chain, id, hash],
    );
  }
}

/** INSERT of one row object into `table` (column names are the row's keys, fixed by this module's callers). */
export async function insertRow(client: PoolClient, table: ChainName, row: Record<string, unknown>): Promise<void> {
  const columns = Object.keys(row);
  const placeholders = columns.map((_, i) => `$${i + 1}`).join(', ');
  await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${placeholders})`, Object.values(row));
}
