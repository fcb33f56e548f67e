/**
 * Durable commits without blocking the event loop.
 *
 * At synchronous=FULL, SQLite fsyncs the WAL inside COMMIT, and
 * better-sqlite3 runs COMMIT on the main thread: every durable batch stopped
 * every other request for the length of an fsync (0.2 ms median on this disk,
 * 5-10 ms at p99 when the machine is busy), and an order arriving behind
 * someone else's commit waited for that fsync before its own.
 *
 * Instead the connection commits at synchronous=NORMAL (frames written to the
 * WAL, no fsync), and this class makes them durable by fdatasync of the WAL
 * file on libuv's thread pool; a durable write's promise resolves only after
 * an fdatasync that started after its COMMIT returned. That is what FULL does
 * (sync the WAL after writing the commit's frames), in another thread: the
 * fdatasync of any descriptor of the file flushes every page written to it,
 * and WAL frames are only ever valid in order (salts and checksums), so a power
 * cut keeps a prefix of the commits, which includes every one we resolved.
 * Commits made while a sync is running wait for the next one, so they share
 * it (group commit across turns).
 *
 * The WAL file is the same file for as long as this connection is open:
 * SQLite deletes it only when the last connection closes, and a TRUNCATE
 * checkpoint keeps the inode.
 *
 * A failed fdatasync leaves the kernel's page cache in an unknown state
 * (its dirty pages may be dropped), so the failure is sticky: the waiting
 * writes are refused and so is every later one (`failure`).
 */
import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class WalSync {
  private fd: number | null = null;
  private running = false;
  /** A sync nobody waits for is running (soon()). */
  private background = false;
  private closed = false;
  /** Commits made while a sync was running: they need the next one. */
  private waiting: Waiter[] = [];
  /** The first fdatasync failure; every later durable write is refused with it. */
  failure: Error | null = null;
  syncs = 0;

  constructor(private readonly walPath: string) {}

  /**
   * Starts a sync now if none is running, for commits nobody waits on (relaxed
   * batches). Their pages would otherwise stay dirty until the next durable
   * commit's sync, which then writes them too: at 50 orders/s that is the
   * previous order's after-transmit rows inside the next order's wait before
   * transmit. Synced in the idle time after them, the next sync writes only
   * its own commit. Nobody waits for this one, and a durable commit never
   * waits for it either (afterCommit starts its own sync beside it). Does
   * nothing before a durable write has opened the WAL's descriptor, or while
   * any sync runs (the next one covers these pages anyway).
   */
  soon(): void {
    const fd = this.fd;
    if (this.running || this.background || this.closed || this.failure !== null || fd === null) return;
    this.background = true;
    this.syncs += 1;
    fdatasync(fd, (err) => {
      this.background = false;
      if (err) this.fail([], err);
      if (this.closed && !this.running) this.release();
    });
  }

  /** Resolves once everything committed before this call is on disk. */
  afterCommit(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.running) this.start();
    });
  }

  private start(): void {
    const batch = this.waiting;
    this.waiting = [];
    let fd: number;
    try {
      fd = this.descriptor();
    } catch (err) {
      this.fail(batch, err);
      return;
    }
    this.running = true;
    this.syncs += 1;
    fdatasync(fd, (err) => {
      this.running = false;
      if (err) this.fail(batch, err);
      else for (const w of batch) w.resolve();
      if (this.closed) {
        if (!this.background) this.release();
      } else if (this.waiting.length > 0) this.start();
    });
  }

  private descriptor(): number {
    // Read-only is enough: fdatasync flushes the file whichever descriptor asks.
    this.fd ??= openSync(this.walPath, 'r');
    return this.fd;
  }

  private fail(batch: Waiter[], err: unknown): void {
    this.failure ??= new Error(`could not make the audit log durable (fdatasync of ${this.walPath}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    for (const w of [...batch, ...this.waiting]) w.reject(this.failure);
    this.waiting = [];
  }

  /** Synchronously syncs everything committed (a sync still running included), settles the waiters, lets the descriptor go. */
  closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    const batch = this.waiting;
    this.waiting = [];
    // fd === null: no durable commit ever asked for a sync, so none is owed.
    if ((batch.length > 0 || this.fd !== null) && this.failure === null) {
      try {
        fdatasyncSync(this.descriptor());
        this.syncs += 1;
        for (const w of batch) w.resolve();
      } catch (err) {
        this.fail(batch, err);
      }
    } else if (batch.length > 0) this.fail(batch, this.failure);
    // A sync still running on the thread pool owns the descriptor until it returns.
    if (!this.running && !this.background) this.release();
  }

  private release(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}
