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
 * "Something may have changed" is a signal from this process: every order
 * version the order path or the broker event handlers (order-events.ts)
 * record goes through AuditStore.recordOrder, which notifyOnRecord wraps. A
 * version written by another process on the same store (the CLI, a second
 * gateway) is picked up by a slow recheck, not a tight polling loop.
 */
import type { AuditStore } from '../audit/types.js';
import type { OrderEvent } from '../models.js';

export interface OrderEventFeedOptions {
  /** Events read per query; also the most a subscriber holds in memory. */
  pageSize?: number;
  /** How often a waiting subscriber rechecks the store for writes by other processes (ms). */
  recheckMs?: number;
}

export interface OrderEventStreamOptions {
  /** Start after this sequence (0: from the first event); default: only events recorded from now on. */
  afterSequence?: number;
  /** Ends the stream (the iterator returns) when aborted. */
  signal?: AbortSignal;
}

export class OrderEventFeed {
  private readonly pageSize: number;
  private readonly recheckMs: number;
  private readonly waiters = new Set<() => void>();
  /** Bumped by every notify(), so a subscriber can tell a change happened while it was busy. */
  private generation = 0;
  private closed = false;

  constructor(
    private readonly audit: AuditStore,
    options: OrderEventFeedOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 200;
    this.recheckMs = options.recheckMs ?? 5_000;
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
    this.notify();
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
    return this.from(start, options.signal);
  }

  private async *from(startAt: number | Promise<number>, signal: AbortSignal | undefined): AsyncGenerator<OrderEvent, void, undefined> {
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
        yield event;
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
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

/** Makes every order version recorded through `audit` wake the feed (after it is committed). */
export function notifyOnRecord(audit: AuditStore, feed: OrderEventFeed): void {
  const record = audit.recordOrder.bind(audit);
  audit.recordOrder = async (entry, version, options) => {
    const written = await record(entry, version, options);
    feed.notify();
    return written;
  };
}
