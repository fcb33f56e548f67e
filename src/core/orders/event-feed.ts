/**
 * The live feed of order events.
 *
 * The durable order history is the only source: a subscriber keeps a cursor
 * (the last sequence it received) and reads the rows after it, a page at a
 * time, whenever something may have changed. So a subscriber that resumes
 * after a disconnect gets exactly the events it missed, in order, once; a
 * slow subscriber costs one page of memory, never a growing queue (it simply
 * reads further behind); and live and replayed events cannot disagree.
 *
 * "Something may have changed" comes from two places. This process: every
 * order version the order path or the broker event handlers (order-events.ts)
 * record goes through AuditStore.recordOrder or updateOrder, which notifyOnRecord wraps.
 * Other processes on the same store (a second gateway on the shared
 * PostgreSQL database, the CLI on the same SQLite file): while anyone waits,
 * one watcher per feed reads the store's change mark every `watchMs` (on
 * PostgreSQL a counter of LISTEN/NOTIFY deliveries, no query, with a poll of
 * the chain heads while the listener is down; on SQLite PRAGMA data_version,
 * no table read) and, only when it moved, the newest order sequence: one
 * small read per change for all subscribers, not one per subscriber.
 */
import type { AuditStore } from '../audit/types.js';
import type { OrderDetail, OrderEvent } from '../models.js';

export interface OrderEventFeedOptions {
  /** Events read per query; also the most a subscriber holds in memory. */
  pageSize?: number;
  /** How often a waiting subscriber rereads the store whatever the change mark says (ms): the backstop. */
  recheckMs?: number;
  /** How often the change mark is read while anyone waits (ms; 0: never), so other processes' orders arrive within about this. */
  watchMs?: number;
}

export interface OrderEventStreamOptions {
  /** Start after this sequence (0: from the first event); default: only events recorded from now on. */
  afterSequence?: number;
  /** Ends the stream (the iterator returns) when aborted. */
  signal?: AbortSignal;
  /** Only events of orders this accepts (the cursor still moves past the others). */
  only?: (order: OrderDetail) => boolean;
}

export class OrderEventFeed {
  private readonly pageSize: number;
  private readonly recheckMs: number;
  private readonly waiters = new Set<() => void>();
  /** Bumped by every notify(), so a subscriber can tell a change happened while it was busy. */
  private generation = 0;
  private closed = false;
  private readonly watchMs: number;
  private watcher: NodeJS.Timeout | null = null;
  private lastMark: string | null = null;
  private newestSeen = -1;

  constructor(
    private readonly audit: AuditStore,
    options: OrderEventFeedOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 200;
    this.recheckMs = options.recheckMs ?? 5_000;
    this.watchMs = options.watchMs ?? 200;
  }

  /** An order version was committed: wake every waiting subscriber. */
  notify(): void {
    this.generation += 1;
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiting) wake();
  }

  /** Ends every stream (the client is closing). */
  close(): void {
    this.closed = true;
    if (this.watcher !== null) clearTimeout(this.watcher);
    this.watcher = null;
    this.notify();
  }

  /** Starts the change-mark watcher if anyone waits and it is not running. */
  private watch(): void {
    if (this.watcher !== null || this.closed || this.watchMs <= 0 || this.waiters.size === 0) return;
    this.watcher = setTimeout(() => void this.look(), this.watchMs);
    this.watcher.unref();
  }

  /** One look at the store: wake the subscribers when the newest order sequence moved since the last look. */
  private async look(): Promise<void> {
    try {
      const mark = await this.audit.changeMark();
      if (mark !== this.lastMark) {
        this.lastMark = mark;
        const newest = await this.audit.lastOrderSequence();
        if (newest !== this.newestSeen) {
          this.newestSeen = newest;
          this.notify();
        }
      }
    } catch {
      // The store is unreachable: the subscribers' own reads report it; the next look tries again.
    } finally {
      this.watcher = null;
      this.watch();
    }
  }

  /** The sequence of the newest event now recorded. */
  lastSequence(): Promise<number> {
    return this.audit.lastOrderSequence();
  }

  /**
   * Every event after the start, in sequence order, then each new one as it is
   * recorded, until aborted or closed. "From now on" is fixed when this is
   * called, not when the first event is pulled.
   */
  stream(options: OrderEventStreamOptions = {}): AsyncGenerator<OrderEvent, void, undefined> {
    // The read starts now (a promise), not at the first pull.
    const start = options.afterSequence ?? this.audit.lastOrderSequence();
    // Unhandled until the first pull: a failed read surfaces there, not as an unhandled rejection.
    if (typeof start !== 'number') start.catch(() => undefined);
    return this.from(start, options.signal, options.only);
  }

  private async *from(startAt: number | Promise<number>, signal: AbortSignal | undefined, only?: (order: OrderDetail) => boolean): AsyncGenerator<OrderEvent, void, undefined> {
    const start = await startAt;
    // A function, not a condition TypeScript narrows once: both change while the stream waits.
    const stopped = (): boolean => this.closed || signal?.aborted === true;
    let cursor = start;
    while (!stopped()) {
      const seen = this.generation;
      const page = await this.audit.orderEvents(cursor, this.pageSize);
      for (const event of page) {
        if (stopped()) return;
        cursor = event.sequence;
        if (only === undefined || only(event.order)) yield event;
      }
      // A full page means more are waiting; a change while we were yielding means look again.
      if (page.length === this.pageSize || this.generation !== seen) continue;
      await this.changed(signal);
    }
  }

  private changed(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, this.recheckMs);
      timer.unref();
      this.waiters.add(done);
      this.watch();
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

/** Makes every order version recorded through `audit` wake the feed (after it is committed). */
export function notifyOnRecord(audit: AuditStore, feed: OrderEventFeed): void {
  // A then on the store's promise, not an async function around it (its own promise, and the await's): several
  // calls per order. A store that throws still gives a rejected promise, as the async wrapper did.
  const record = audit.recordOrder.bind(audit);
  audit.recordOrder = (entry, version, options) => {
    try {
      return record(entry, version, options).then(notified);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  };
  const update = audit.updateOrder.bind(audit);
  audit.updateOrder = (orderId, next, options) => {
    try {
      return update(orderId, next, options).then(notifiedIfWritten);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  };
  function notified<T>(written: T): T {
    feed.notify();
    return written;
  }
  function notifiedIfWritten<T extends { written: boolean }>(updated: T): T {
    if (updated.written) feed.notify();
    return updated;
  }
}
