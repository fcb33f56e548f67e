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
 * `everyCommits` commits, a worker thread with its own connection runs a
 * PASSIVE checkpoint (it never waits for a lock, and writers go on appending
 * to the WAL while it copies), and then the connection itself checkpoints
 * what was committed while the worker copied (`catchUp`, on the main thread:
 * a few frames, the WAL already synced by the durable commits). Only a WAL
 * copied to its last frame when a write begins is restarted from its start,
 * and at 300 commits a second the worker's own copy never ends on the last
 * frame: without the catch-up the WAL grew without bound (measured). The
 * next commit then rewrites the WAL header and syncs it, once per
 * `everyCommits`. The larger WAL left between checkpoints (about 40 MB at
 * the default for audit.db) costs readers nothing measurable (the wal-index
 * is a hash table).
 *
 * The worker is code in a string (not a module file) so that it runs the same
 * from dist/ and from the TypeScript sources under the test runner; it loads
 * the same better-sqlite3 as this process. It is started at the first
 * checkpoint, so a short-lived store (the CLI, a test) never starts one, and
 * it never keeps the process alive.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('synchronous = FULL');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, frames: result.log, copied: result.checkpointed });
  } catch (err) {
    parentPort.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) });
  }
});
`;

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

export interface CheckpointOutcome {
  ok: boolean;
  /** Frames in the WAL and frames copied into the database file (ok only). */
  frames?: number;
  copied?: number;
  message?: string;
}

export class WalCheckpointer {
  private worker: Worker | null = null;
  private commits = 0;
  private running = false;
  private closed = false;
  checkpoints = 0;

  constructor(
    private readonly path: string,
    private readonly everyCommits: number,
    private readonly catchUp: () => void,
    private readonly onOutcome: (outcome: CheckpointOutcome) => void = () => undefined,
  ) {}

  /** Counts one commit of this connection; past the threshold, a checkpoint is asked of the worker. */
  committed(): void {
    this.commits += 1;
    if (this.commits < this.everyCommits || this.running || this.closed) return;
    this.commits = 0;
    this.running = true;
    try {
      this.start().postMessage('checkpoint');
    } catch (err) {
      this.running = false;
      this.onOutcome({ ok: false, message: err instanceof Error ? err.message : String(err) });
    }
  }

  private start(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path: this.path } });
    worker.unref();
    worker.on('message', (outcome: CheckpointOutcome) => {
      this.running = false;
      this.checkpoints += 1;
      if (!this.closed) {
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
      this.running = false;
      this.worker = null;
      this.onOutcome({ ok: false, message: err.message });
    });
    this.worker = worker;
    return worker;
  }

  /** Lets the worker close its connection and end (the process may exit before it has). */
  close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    if (worker === null) return Promise.resolve();
    // Settles once the worker's connection is closed and the thread is gone: until then it may still
    // write next to the database (its last close checkpoints), so a caller removing the folder waits.
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('close');
    return exited;
  }
}
