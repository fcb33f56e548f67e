/**
 * WAL checkpoints off the event loop.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL
 * past 1,000 pages, on the connection that committed: better-sqlite3 runs it
 * on the main thread, and it syncs the WAL, copies every page into the
 * database file and syncs that too. An order writes about 45 WAL pages in
 * audit.db (claim, id reservation, record, status versions, fill, result),
 * so every 20th or so order paid a whole checkpoint before its transmit: the
 * p90-p99 tail of request->transmit (bench/transmit.js).
 *
 * Instead the connection's automatic checkpoint is off and, every
 * so many commits or once the WAL holds so many frames (CheckpointTrigger), a worker thread with its own connection runs a
 * PASSIVE checkpoint (it never waits for a lock, and writers go on appending
 * to the WAL while it copies). Only a WAL copied to its last frame when a
 * write begins is restarted from its start, and writers append while the
 * first pass copies the bulk: so the worker copies again what they appended
 * meanwhile (a few frames, a short pass) until a pass ends on the last frame,
 * up to `PASSES` passes. At 50 orders/s one of the first passes gets there;
 * when none does, or writers appended after the last pass (they never pause), the connection itself copies the rest
 * (`catchUp`, on the main thread: two fsyncs and the copy, about 4-12 ms
 * measured under load), so the WAL never grows without bound (it did, without
 * a catch-up: measured). An owner that can hold its own writes for a moment
 * (`WriteHold`: the audit store's group commit) has the worker make that last
 * pass instead, its writes held until the pass reports: under 32 REST clients
 * the connection's catch-ups of audit.db stopped the event loop for 28-32 ms
 * each, mostly waiting on the two fsyncs (15 ms wall for 1.3 ms of CPU,
 * 2026-12-04), while the loop now goes on serving everything but those writes.
 * Only a final pass that still cannot finish (another process writes, a reader
 * holds old frames) falls back to the catch-up. The next commit after a complete copy rewrites the
 * WAL header and syncs it, once per round; that one stays on the connection.
 * The larger WAL left between checkpoints (about 40 MB at the default for
 * audit.db) costs readers nothing measurable (the wal-index is a hash table).
 *
 * The worker is code in a string (not a module file) so that it runs the same
 * from dist/ and from the TypeScript sources under the test runner; it loads
 * the same better-sqlite3 as this process. It is started at the first
 * checkpoint, so a short-lived store (the CLI, a test) never starts one, and
 * it never keeps the process alive. Its connection can be closed
 * synchronously (`closeNow`), for an owner whose own close() is synchronous
 * (sim.db): a worker still closing its connection after its owner had closed
 * wrote next to the database (a test removing the folder met ENOTEMPTY).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import { Worker } from 'node:worker_threads';

/** Passes a round may take to reach the WAL's last frame before the connection copies the rest itself. */
export const PASSES = 8;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const closed = new Int32Array(workerData.closed);
const released = () => {
  Atomics.store(closed, 0, 1);
  Atomics.notify(closed, 0);
};
let db;
try {
  db = new Database(workerData.path, { fileMustExist: true });
  db.pragma('synchronous = FULL');
} catch (err) {
  // No connection to wait for: a closeNow() must not wait out its time-out for a worker that died here.
  released();
  throw err;
}
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    released();
    parentPort.close();
    return;
  }
  try {
    let result;
    let passes = 0;
    do {
      [result] = db.pragma('wal_checkpoint(PASSIVE)');
      passes += 1;
    } while (result.checkpointed < result.log && passes < workerData.passes);
    parentPort.postMessage({ ok: true, frames: result.log, copied: result.checkpointed, passes });
  } catch (err) {
    parentPort.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) });
  }
});
`;

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

/**
 * When a round is due: after this many commits, or once the WAL holds this many frames (pages). A
 * count of commits lets the WAL grow with the size of each commit (in an overload, batches of 32
 * orders: audit.db's WAL reached 122 MB); a count of frames holds it near one size whatever the batches.
 */
export type CheckpointTrigger = number | { walFrames: number };

/**
 * Holds the owner's own commits while the worker makes a round's last pass (see the top of this file): `hold`
 * stops them being written (they queue), `release` lets them go. Nothing else changes: a PASSIVE checkpoint is
 * safe beside writers, so a hold is only a delay, and it never lasts longer than HOLD_MAX_MS.
 */
export interface WriteHold {
  hold(): void;
  release(): void;
}

/** The longest a last pass holds the owner's writes; past it they go on, and a pass that writers overtook is caught up as before. */
export const HOLD_MAX_MS = 1_000;

/** Without a readable WAL index (see walFrames), a frame trigger falls back to this many commits. */
const FALLBACK_COMMITS = 1000;

/**
 * Frames in the WAL now: mxFrame in the WAL-index header, the first 48 bytes of the -shm file
 * (https://www.sqlite.org/walformat.html, "The WAL-Index Header": offset 16, native byte order).
 * SQLite maps that file shared; reading it is one pread, far cheaper than asking SQLite
 * (wal_checkpoint would checkpoint). The frame count falls to the commit's own frames when a
 * write restarts the WAL after a complete checkpoint.
 */
class WalIndexReader {
  private fd: number | null = null;
  private readonly buffer = Buffer.alloc(4);
  private failed = false;

  constructor(private readonly shmPath: string) {}

  /** Null when the file cannot be read (no -shm: then the caller counts commits). */
  frames(): number | null {
    if (this.failed) return null;
    try {
      this.fd ??= openSync(this.shmPath, 'r');
      if (readSync(this.fd, this.buffer, 0, 4, 16) !== 4) return null;
      return endianness() === 'LE' ? this.buffer.readUInt32LE(0) : this.buffer.readUInt32BE(0);
    } catch {
      this.failed = true;
      return null;
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

export interface CheckpointOutcome {
  ok: boolean;
  /** Frames in the WAL and frames copied into the database file after the last pass (ok only). */
  frames?: number;
  copied?: number;
  /** Passes the worker made in this round (ok only). */
  passes?: number;
  message?: string;
}

export class WalCheckpointer {
  private worker: Worker | null = null;
  private commits = 0;
  private running = false;
  private closed = false;
  /** Set to 1 by the worker once its connection is closed (closeNow waits on it). */
  private readonly workerClosed = new Int32Array(new SharedArrayBuffer(4));
  checkpoints = 0;
  /** Rounds whose worker did not reach the WAL's last frame, so the connection copied the rest on its own thread. */
  catchUps = 0;
  /** Rounds the worker finished with a last pass while the owner's writes were held (WriteHold). */
  heldPasses = 0;
  /** A last pass asked for under a hold has not reported yet (its hold may have timed out meanwhile). */
  private lastPass = false;
  /** The hold in force: the timer that ends it if the last pass takes too long. */
  private holding: ReturnType<typeof setTimeout> | null = null;

  private readonly walIndex: WalIndexReader;

  constructor(
    private readonly path: string,
    private readonly every: CheckpointTrigger,
    private readonly catchUp: () => void,
    private readonly onOutcome: (outcome: CheckpointOutcome) => void = () => undefined,
    private readonly writeHold: WriteHold | null = null,
  ) {
    this.walIndex = new WalIndexReader(`${path}-shm`);
  }

  /** Counts one commit of this connection; past the threshold, a checkpoint is asked of the worker. */
  committed(): void {
    this.commits += 1;
    if (this.running || this.closed || !this.due()) return;
    this.commits = 0;
    this.running = true;
    try {
      this.start().postMessage('checkpoint');
    } catch (err) {
      this.running = false;
      this.onOutcome({ ok: false, message: err instanceof Error ? err.message : String(err) });
    }
  }

  /**
   * Whether writers appended to the WAL after the worker's last pass reached its end, without
   * restarting it: then every frame is not yet copied at any write's start, so the WAL never
   * restarts on its own (under writes with no pause between them it grew past 100 MB, measured).
   * A WAL restarted meanwhile holds fewer frames than the pass saw.
   */
  private overtaken(outcome: CheckpointOutcome): boolean {
    const now = this.walIndex.frames();
    return now !== null && now > (outcome.frames ?? 0);
  }

  private due(): boolean {
    if (typeof this.every === 'number') return this.commits >= this.every;
    const frames = this.walIndex.frames();
    return frames === null ? this.commits >= FALLBACK_COMMITS : frames >= this.every.walFrames;
  }

  private start(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path: this.path, passes: PASSES, closed: this.workerClosed.buffer } });
    worker.unref();
    worker.on('message', (outcome: CheckpointOutcome) => {
      this.running = false;
      this.checkpoints += 1;
      // A last pass made under a hold reports: the owner's writes go on whatever it achieved.
      const lastPass = this.lastPass;
      this.lastPass = false;
      this.endHold();
      if (lastPass && outcome.ok) this.heldPasses += 1;
      const complete = outcome.ok && outcome.copied !== undefined && outcome.copied >= (outcome.frames ?? 0);
      if (!this.closed && (!complete || this.overtaken(outcome))) {
        if (!lastPass && outcome.ok && this.holdForLastPass(worker)) {
          this.onOutcome(outcome);
          return;
        }
        this.catchUps += 1;
        try {
          this.catchUp();
        } catch (err) {
          // Busy (another process) or closed meanwhile: the next round copies it.
          this.onOutcome({ ok: false, message: err instanceof Error ? err.message : String(err) });
        }
      }
      this.onOutcome(outcome);
    });
    worker.on('error', (err) => {
      // A worker that died is started again at the next checkpoint; until then the WAL only grows.
      this.lastPass = false;
      this.endHold();
      this.running = false;
      this.worker = null;
      this.onOutcome({ ok: false, message: err.message });
    });
    this.worker = worker;
    return worker;
  }

  /**
   * Holds the owner's writes and asks the worker for another pass: with no commit of this connection in between,
   * it ends on the WAL's last frame unless another process writes. False without a WriteHold (or if the message
   * cannot be sent): the connection catches up itself.
   */
  private holdForLastPass(worker: Worker): boolean {
    const writeHold = this.writeHold;
    if (writeHold === null) return false;
    this.holding = setTimeout(() => this.endHold(), HOLD_MAX_MS);
    this.holding.unref();
    writeHold.hold();
    // Closed meanwhile (the hold is already released): no pass to ask for, and no catch-up either.
    if (this.closed) return true;
    try {
      this.running = true;
      this.lastPass = true;
      worker.postMessage('checkpoint');
      return true;
    } catch {
      this.running = false;
      this.lastPass = false;
      this.endHold();
      return false;
    }
  }

  /** The owner's writes go on (the last pass reported, failed, timed out, or the store closes). */
  private endHold(): void {
    if (this.holding === null) return;
    clearTimeout(this.holding);
    this.holding = null;
    this.writeHold?.release();
  }

  /** Lets the worker close its connection and end (the process may exit before it has). */
  close(): Promise<void> {
    this.closed = true;
    this.endHold();
    this.walIndex.close();
    const worker = this.worker;
    this.worker = null;
    if (worker === null) return Promise.resolve();
    // Settles once the worker's connection is closed and the thread is gone: until then it may still
    // write next to the database (its last close checkpoints), so a caller removing the folder waits.
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    // The worker is unref'd while it works; waiting for its exit must keep the process alive, or a
    // script whose last await is close() ends with that promise unsettled (exit code 13).
    worker.ref();
    worker.postMessage('close');
    return exited;
  }

  /**
   * Closes the worker's connection before returning (the thread ends on its own soon after, touching no
   * file): for an owner whose close() is synchronous. Blocks for at most a pass in progress, or `timeoutMs`.
   * False when the worker did not answer in time.
   */
  closeNow(timeoutMs = 10_000): boolean {
    this.closed = true;
    this.endHold();
    this.walIndex.close();
    const worker = this.worker;
    this.worker = null;
    if (worker === null) return true;
    worker.postMessage('close');
    // The worker runs its own event loop: it receives 'close' while this thread waits.
    const answered = Atomics.wait(this.workerClosed, 0, 0, timeoutMs) !== 'timed-out';
    if (!answered) void worker.terminate();
    return answered;
  }
}
