/**
 * PRAGMA data_version for one connection, read at most once per event-loop
 * callback. The value moves only when another connection commits; the store
 * keys everything it remembers (latest versions, the day's fills, named
 * states, the state mark) by it, and an order asked for it about four times
 * (the kill switch's mark and the risk check's fills in the callback that
 * parsed the request; the order, the loss check's fills and the circuit
 * breaker after its fill), each read beginning and ending a read transaction
 * (the WAL index and its locks, 7-12 µs).
 *
 * Why one read per callback sees every other process's write in time: no
 * input from outside reaches this thread while one callback and the promise
 * jobs it queued run (a socket's bytes, a timer, a worker's message each
 * start a callback of their own), so nothing this process does in that
 * callback can follow another process's commit made after the read. The
 * value is forgotten in a process.nextTick job, which Node runs once the
 * callback's promise jobs have drained and always before the next callback
 * starts: an order that arrives after the CLI engaged the kill switch is
 * handled in a later callback, whose first read is current. (A commit by a
 * second connection that this same thread makes synchronously in the middle
 * of a callback is the one thing this cannot see; the gateway makes none.)
 *
 * Inside a write transaction the value is read afresh (`current()`): the
 * chain heads and the remembered versions are checked against it while the
 * write lock is held, so it must be the value at that moment.
 */
import type Database from 'better-sqlite3';

export class DataVersion {
  private readonly statement: Database.Statement<[], number>;
  /** The value read in the running callback, or -1 (data_version is never negative). */
  private memo = -1;
  private readonly forgetMemo = (): void => {
    this.memo = -1;
  };

  constructor(db: Database.Database) {
    this.statement = db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  /** The value as of some moment in the running callback (read at its first use). */
  get(): number {
    return this.memo < 0 ? this.current() : this.memo;
  }

  /** The value now (a statement), kept for the rest of the running callback. */
  current(): number {
    const value = this.statement.get() as number;
    if (this.memo < 0) process.nextTick(this.forgetMemo);
    this.memo = value;
    return value;
  }
}
