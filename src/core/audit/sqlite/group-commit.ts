/**
 * Group commit for the SQLite store.
 *
 * better-sqlite3 is synchronous and a durable commit costs one fsync of the
 * WAL, so writing each order's row in its own transaction makes 32 clients
 * queue behind 32 fsyncs. Instead, writes asked for in one event-loop turn
 * (everything queued before the setImmediate callback runs: the requests
 * parsed in one poll phase and the promise chains they start) are written in
 * one IMMEDIATE transaction with one fsync, in the order they were asked for,
 * so each chain keeps its order.
 *
 * A write that throws (a reused clientOrderId, an idempotency conflict) is
 * rolled back alone and rejects its own caller; the others commit. Writes
 * seldom throw, so a batch of several is first written with no SAVEPOINT:
 * if one throws, that transaction is rolled back and the batch written again
 * with each write inside its own SAVEPOINT, where the failing one is rolled
 * back alone. At 50 orders/s an order's after-transmit batch holds four or five
 * writes, and their SAVEPOINT and RELEASE statements were 10 of the 36 an
 * order ran (bench/order-pages.js, 2026-12-03: audit.db CPU per order
 * 0.93-0.95x without them). A batch of one write needs
 * no SAVEPOINT at all: a write that throws rolls the whole transaction back,
 * which is the same thing. Either way a write may run more than once before
 * it commits (as when a transaction cannot commit, below): what it does
 * outside the database must bear being done again. If the transaction itself cannot
 * commit (SQLITE_BUSY past the timeout, disk full, I/O error), nothing of the
 * batch was written: each write is then tried again in a transaction of its
 * own, so a single bad write cannot refuse its neighbours, and whatever still
 * fails is rejected. A durable write's promise resolves only after its
 * transaction's COMMIT returned and the WAL holding it was synced
 * (`synced`, wal-sync.ts), so a caller that awaits it before transmitting
 * never sends an order whose row is not on disk; a relaxed write's resolves
 * at COMMIT, even when it shares the batch with a durable one. A batch of
 * relaxed writes only is handed to the sync right after (`relaxedCommitted`),
 * without anyone waiting, so the next durable batch's sync has only its own
 * pages to write.
 *
 * Why not a worker thread: first measured (bench/orders.js, a raw one-row-per-
 * transaction INSERT beside these batches in the same run) when the fsync was
 * the cost; one fsync per batch already spreads it, and it now runs on the
 * thread pool (wal-sync.ts). What stays on the main thread is the batch's CPU
 * (building, sealing and inserting the rows: about 1 ms of an order's ~2.7 ms
 * before transmit at 50/s, 2026-12-03). A worker would move that to the other
 * core for a copy of every row and a second connection contending for the
 * write lock; not built. Its upper bound, measured (2026-12-04, 32 REST
 * clients, load generator in the same machine): the batches are 23-25% of the
 * main thread's profile (the whole store 33-36%), the main thread 1.34 ms per
 * order, the load generator 0.16 ms; moved for free, the main thread would
 * allow ~1,000 orders/s and the other core would be about as full, so about
 * 1.3x at best, while 5,000/s leaves the gateway ~0.24 ms per order on the
 * 1.2 cores the load generator does not use, under half of what this store
 * alone costs at 32 in flight (0.5-0.6 ms, bench/order-inflight.js). The
 * store's contract also runs callers' code inside the transaction
 * (updateOrder's `next`, recordNewOrders' `rows`), which a worker cannot run.
 */
import type Database from 'better-sqlite3';

interface Pending {
  what: string;
  durable: boolean;
  run: (now: string) => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface BatchCommitter {
  /** Runs `body` in one IMMEDIATE transaction; throws when the transaction cannot commit. */
  commit<T>(durable: boolean, size: number, body: (now: string) => T): T;
  /** Called right after a durable batch commits: settles once that commit is on disk (null: it already is). */
  synced(): Promise<void> | null;
  /** Called right after a batch with no durable write commits: nobody waits, but its pages may be synced now, off the next durable commit's wait. */
  relaxedCommitted(): void;
  /** Turns anything a write threw into the store's error (AUDIT_UNAVAILABLE unless it already has a domain code). */
  toError(err: unknown, what: string): unknown;
}

export interface GroupCommitStats {
  batches: number;
  writes: number;
  largestBatch: number;
}

export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  /** Writes are held (hold()): they queue, and are written at release() (or at flushNow(), which close calls). */
  private held = false;
  private readonly savepoint: Database.Transaction<(fn: () => unknown) => unknown>;
  readonly stats: GroupCommitStats = { batches: 0, writes: 0, largestBatch: 0 };

  constructor(
    db: Database.Database,
    private readonly committer: BatchCommitter,
  ) {
    // Called inside the batch's transaction, a better-sqlite3 transaction function runs as a SAVEPOINT.
    this.savepoint = db.transaction((fn: () => unknown) => fn());
  }

  enqueue<T>(what: string, durable: boolean, run: (now: string) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ what, durable, run, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.held) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.held) this.flushNow();
    });
  }

  /**
   * Writes asked for from now on wait until release(): the WAL checkpoint worker's last pass of a round runs
   * meanwhile, with no commit of this connection overtaking it (wal-checkpointer.ts WriteHold). Only a delay:
   * nothing is written, refused or reordered, and a durable write still resolves only once it is on disk.
   */
  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    if (this.queue.length > 0) this.schedule();
  }

  /** Writes everything queued now (also called at close, so no asked-for write is dropped). */
  flushNow(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    this.stats.batches += 1;
    this.stats.writes += batch.length;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
    if (batch.length === 1) {
      this.alone(batch[0] as Pending);
      return;
    }
    const durable = batch.some((p) => p.durable);
    let outcomes: Outcome[];
    try {
      outcomes = this.together(durable, batch);
    } catch {
      // Nothing of the batch was written: each write on its own, so one cannot refuse the others.
      for (const p of batch) this.alone(p);
      return;
    }
    const synced = durable ? this.committer.synced() : null;
    outcomes.forEach((o, i) => this.settle(batch[i] as Pending, o, synced));
    if (!durable) this.committer.relaxedCommitted();
  }

  /** A durable write that succeeded waits for its sync; everything else settles now. */
  private settle(p: Pending, o: Outcome, synced: Promise<void> | null): void {
    // A failed sync with no durable write left to refuse is still not an unhandled rejection.
    synced?.catch(() => undefined);
    if (!o.ok) p.reject(this.committer.toError(o.error, p.what));
    else if (synced === null || !p.durable) p.resolve(o.value);
    else synced.then(() => p.resolve(o.value), (err: unknown) => p.reject(this.committer.toError(err, p.what)));
  }

  /**
   * The batch in one transaction, each write's outcome in order. First with no SAVEPOINTs; if a write throws, that
   * transaction is rolled back and the batch written again with a SAVEPOINT per write. Throws when a transaction
   * cannot commit (not because a write threw).
   */
  private together(durable: boolean, batch: Pending[]): Outcome[] {
    let writeThrew = false;
    try {
      return this.committer.commit(durable, batch.length, (now) =>
        batch.map((p): Outcome => {
          try {
            return { ok: true, value: p.run(now) };
          } catch (error) {
            writeThrew = true;
            throw error;
          }
        }),
      );
    } catch (err) {
      if (!writeThrew) throw err;
    }
    return this.committer.commit(durable, batch.length, (now) => batch.map((p) => this.runOne(p, now)));
  }

  private runOne(p: Pending, now: string): Outcome {
    try {
      return { ok: true, value: this.savepoint(() => p.run(now)) };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** One write in a transaction of its own, no SAVEPOINT: if it throws, the transaction is rolled back and the write rejected. */
  private alone(p: Pending): void {
    let value: unknown;
    try {
      value = this.committer.commit(p.durable, 1, (now) => p.run(now));
    } catch (err) {
      p.reject(this.committer.toError(err, p.what));
      return;
    }
    this.settle(p, { ok: true, value }, p.durable ? this.committer.synced() : null);
    if (!p.durable) this.committer.relaxedCommitted();
  }
}
