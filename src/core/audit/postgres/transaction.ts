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
 * Writes arriving together share one such transaction (GroupCommitter): the
 * lock, the head read and the WAL flush are paid once per batch, not once per
 * order, which is what makes one serialised chain affordable.
 *
 * Each write also sends NOTIFY on CHANGE_CHANNEL, delivered at commit to every
 * listening gateway (changes.ts): that is how the kill switch set by one
 * gateway reaches the others.
 */
import { type ChainName, nextAfter } from '../chain.js';
import type { Pool, PoolClient } from './connection.js';

/** The advisory lock key serialising chain writers (distinct from the migration lock). */
export const WRITE_LOCK = 4_242_000;
export const CHANGE_CHANNEL = 'ibkr_gateway_store';

export interface TxOptions {
  /** Commit without waiting for the WAL flush (synchronous_commit = off): only for rows a crash may lose safely. */
  relaxed?: boolean;
}

/** Runs `fn` in one locked write transaction of its own; rolls back on any error. */
export async function writeTransaction<T>(pool: Pool, options: TxOptions, fn: (client: PoolClient, heads: PgHeads) => Promise<T>): Promise<T> {
  const [outcome] = await runBatch(pool, [{ relaxed: options.relaxed === true, run: fn }]);
  if (outcome === undefined || !outcome.ok) throw outcome?.error ?? new Error('write transaction produced no outcome');
  return outcome.value as T;
}

export interface BatchJob {
  relaxed: boolean;
  run: (client: PoolClient, heads: PgHeads) => Promise<unknown>;
}

export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Runs several writes in one transaction: one lock, one head read, one WAL
 * flush at COMMIT. A job that fails (a clientOrderId already used, say) is
 * rolled back alone and the others commit: jobs seldom fail, so a batch of
 * several is first run with no savepoint (a round trip per job on top of the
 * job's own); if a job throws, that transaction
 * is rolled back and the batch run again with each job inside a savepoint.
 * A job may therefore run more than once before it commits. A failure of the
 * transaction itself (lost connection, COMMIT refused) fails every job: none
 * is reported done unless its rows committed. Durable unless every job in the
 * batch is relaxed.
 */
export async function runBatch(pool: Pool, jobs: readonly BatchJob[]): Promise<Outcome[]> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    return jobs.map(() => ({ ok: false, error }));
  }
  let broken: Error | undefined;
  try {
    const together = await inTransaction(client, jobs, false);
    return together ?? (await inTransaction(client, jobs, true)) ?? jobs.map(() => ({ ok: false, error: new Error('write batch produced no outcome') }));
  } catch (error) {
    // A ROLLBACK that failed, or a lost connection: the connection is not given back to the pool.
    const rollback = error instanceof RollbackFailed ? error : null;
    broken = rollback?.cause ?? (isConnectionError(error) ? (error as Error) : undefined);
    return jobs.map(() => ({ ok: false, error: rollback ? rollback.original : error }));
  } finally {
    client.release(broken);
  }
}

/** The ROLLBACK after a failed transaction failed too: the connection itself is broken. */
class RollbackFailed extends Error {
  constructor(
    readonly original: unknown,
    override readonly cause: Error,
  ) {
    super('rollback failed');
  }
}

/**
 * One try at the batch in one transaction. Without savepoints, a job that throws rolls the whole transaction
 * back and the answer is null (run it again with them); with savepoints (or a single job), its outcome says so.
 */
async function inTransaction(client: PoolClient, jobs: readonly BatchJob[], savepoints: boolean): Promise<Outcome[] | null> {
  const several = jobs.length > 1;
  let jobThrew = false;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
    if (jobs.every((j) => j.relaxed)) await client.query('SET LOCAL synchronous_commit = off');
    const heads = await PgHeads.load(client);
    const outcomes: Outcome[] = [];
    // Round trips are the cost here (a savepoint per job): the release of one job's
    // savepoint and the next one's go in one simple query, and COMMIT releases the last.
    let open = false;
    for (const job of jobs) {
      const saved = heads.snapshot();
      if (savepoints && several) await client.query(open ? 'RELEASE SAVEPOINT job; SAVEPOINT job' : 'SAVEPOINT job');
      open = savepoints && several;
      try {
        outcomes.push({ ok: true, value: await job.run(client, heads) });
      } catch (error) {
        if (!open) {
          jobThrew = several;
          throw error;
        }
        await client.query('ROLLBACK TO SAVEPOINT job');
        heads.restore(saved);
        outcomes.push({ ok: false, error });
      }
    }
    await heads.flush(client);
    await client.query(`NOTIFY ${CHANGE_CHANNEL}; COMMIT`);
    return outcomes;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
      throw new RollbackFailed(err, rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr)));
    });
    if (jobThrew && !isConnectionError(err)) return null;
    throw err;
  }
}

/**
 * Group commit: writes submitted while a batch is being written (or in the
 * same event-loop turn) go together in the next one, up to `maxBatch`. Each
 * caller's promise settles only after its batch's COMMIT returned, so a row
 * reported written is durable, and an order is transmitted only after that.
 */
export class GroupCommitter {
  private queue: Array<BatchJob & { settle: (o: Outcome) => void }> = [];
  private running = false;

  constructor(
    private readonly pool: Pool,
    private readonly maxBatch = 64,
  ) {}

  submit<T>(relaxed: boolean, run: (client: PoolClient, heads: PgHeads) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ relaxed, run, settle: (o) => (o.ok ? resolve(o.value as T) : reject(o.error)) });
      this.kick();
    });
  }

  /** Resolves when every write submitted so far has settled. */
  async drain(): Promise<void> {
    while (this.running || this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  private kick(): void {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.maxBatch);
    try {
      const outcomes = await runBatch(this.pool, batch);
      batch.forEach((job, i) => job.settle(outcomes[i] ?? { ok: false, error: new Error('no outcome') }));
    } finally {
      this.running = false;
      this.kick();
    }
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

/**
 * chain_heads for one write transaction: read once after the lock is taken,
 * moved in memory by each row, written back before COMMIT.
 */
export class PgHeads {
  private dirty = new Set<ChainName>();

  private constructor(private heads: Map<ChainName, Head>) {}

  static async load(client: PoolClient): Promise<PgHeads> {
    const r = await client.query<{ chain: ChainName; last_id: number; last_hash: string }>('SELECT chain, last_id, last_hash FROM chain_heads');
    return new PgHeads(new Map(r.rows.map((row) => [row.chain, { lastId: row.last_id, lastHash: row.last_hash }])));
  }

  get(chain: ChainName): Head | null {
    return this.heads.get(chain) ?? null;
  }

  next(chain: ChainName): { id: number; prevHash: string } {
    return nextAfter(this.heads.get(chain) ?? null);
  }

  advance(chain: ChainName, id: number, hash: string): void {
    this.heads.set(chain, { lastId: id, lastHash: hash });
    this.dirty.add(chain);
  }

  snapshot(): { heads: Map<ChainName, Head>; dirty: Set<ChainName> } {
    return { heads: new Map(this.heads), dirty: new Set(this.dirty) };
  }

  restore(saved: { heads: Map<ChainName, Head>; dirty: Set<ChainName> }): void {
    this.heads = new Map(saved.heads);
    this.dirty = new Set(saved.dirty);
  }

  async flush(client: PoolClient): Promise<void> {
    for (const chain of this.dirty) {
      const head = this.heads.get(chain);
      if (head === undefined) continue;
      await client.query(
        'INSERT INTO chain_heads (chain, last_id, last_hash) VALUES ($1, $2, $3) ON CONFLICT (chain) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash',
        [chain, head.lastId, head.lastHash],
      );
    }
    this.dirty.clear();
  }
}

/** INSERT of one row object into `table` (column names are the row's keys, fixed by this module's callers). */
export async function insertRow(client: PoolClient, table: ChainName, row: Record<string, unknown>): Promise<void> {
  const columns = Object.keys(row);
  const placeholders = columns.map((_, i) => `$${i + 1}`).join(', ');
  await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${placeholders})`, Object.values(row));
}
