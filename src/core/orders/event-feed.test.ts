/**
 * The order event feed over a real audit store: order_history versions come
 * out as events in sequence order, a resumed stream continues exactly where
 * the last one stopped, a waiting stream wakes when an order is recorded, and
 * a reader is never handed more than one page at a time.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAuditStore, type SqliteAuditStore } from '../audit/sqlite/store.js';
import type { Fill, OrderEvent } from '../models.js';
import { entry, tempDir, version } from '../../testing/audit/samples.js';
import { OrderEventFeed, notifyOnRecord } from './event-feed.js';

let dir: ReturnType<typeof tempDir>;
let store: SqliteAuditStore;

beforeEach(async () => {
  dir = tempDir();
  store = openAuditStore({ dataDir: dir.dir, synchronous: 'NORMAL' });
});
afterEach(async () => {
  await store.close();
  dir.cleanup();
});

const FILL: Fill = {
  execId: 'e1',
  orderId: '1',
  time: '2026-01-05T15:00:01.000Z',
  side: 'BUY',
  quantity: 4,
  price: 190.25,
  commission: 1,
  commissionCurrency: 'USD',
  realizedPnl: null,
  exchange: 'NASDAQ',
};

/** Records a new order and its life: ACCEPTED, a partial fill, CANCELLED. */
async function lifeOf(orderId: string): Promise<void> {
  await store.recordOrder(entry({ orderId, eventType: 'ORDER_SUBMITTED' }), version(orderId, 'PENDING_SUBMIT'));
  await store.recordOrder(entry({ orderId, eventType: 'ORDER_ACCEPTED' }), version(orderId, 'ACCEPTED'));
  await store.recordOrder(
    entry({ orderId, eventType: 'ORDER_PARTIALLY_FILLED' }),
    version(orderId, 'PARTIALLY_FILLED', { fills: [{ ...FILL, orderId }], filledQuantity: 4, remainingQuantity: 6, avgFillPrice: 190.25 }),
  );
  await store.recordOrder(entry({ orderId, eventType: 'ORDER_CANCELLED' }), version(orderId, 'CANCELLED', { fills: [{ ...FILL, orderId }], filledQuantity: 4, remainingQuantity: 0 }));
}

async function take(events: AsyncIterator<OrderEvent>, n: number): Promise<OrderEvent[]> {
  const out: OrderEvent[] = [];
  while (out.length < n) {
    const next = await events.next();
    if (next.done === true) break;
    out.push(next.value);
  }
  return out;
}

describe('OrderEventFeed', () => {
  it('turns each order version into one event: NEW, STATUS, FILL, with the previous status and the fill added', async () => {
    await lifeOf('1');
    const feed = new OrderEventFeed(store);
    const events = await take(feed.stream({ afterSequence: 0 }), 4);
    expect(events.map((e) => [e.sequence, e.kind, e.previousStatus, e.status])).toEqual([
      [1, 'NEW', null, 'PENDING_SUBMIT'],
      [2, 'STATUS', 'PENDING_SUBMIT', 'ACCEPTED'],
      [3, 'FILL', 'ACCEPTED', 'PARTIALLY_FILLED'],
      [4, 'STATUS', 'PARTIALLY_FILLED', 'CANCELLED'],
    ]);
    expect(events[2]?.fill).toMatchObject({ execId: 'e1', quantity: 4 });
    expect(events[2]?.auditEventType).toBe('ORDER_PARTIALLY_FILLED');
    expect(events[3]?.fill).toBeNull();
    expect(events[3]?.order).toMatchObject({ orderId: '1', version: 4, filledQuantity: 4 });
    feed.close();
  });

  it('a stream resumed after the last sequence it saw continues with the next event, none lost, none repeated', async () => {
    await lifeOf('1');
    await lifeOf('2');
    const feed = new OrderEventFeed(store);
    const first = await take(feed.stream({ afterSequence: 0 }), 3);
    const rest = await take(feed.stream({ afterSequence: first.at(-1)?.sequence }), 5);
    expect([...first, ...rest].map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    feed.close();
  });

  it('by default streams only what is recorded after it was opened, and wakes when an order is recorded', async () => {
    await lifeOf('1');
    const feed = new OrderEventFeed(store, { recheckMs: 60_000 });
    notifyOnRecord(store, feed);
    const stream = feed.stream();
    const waiting = stream.next();
    await store.recordOrder(entry({ orderId: '9' }), version('9', 'PENDING_SUBMIT'));
    const next = await waiting;
    expect(next.value).toMatchObject({ sequence: 5, orderId: '9', kind: 'NEW' });
    feed.close();
    expect((await stream.next()).done).toBe(true);
  });

  it('reads the history a page at a time, so a slow reader never holds more than one page', async () => {
    for (const id of ['1', '2', '3']) await lifeOf(id);
    const limits: number[] = [];
    const read = store.orderEvents.bind(store);
    store.orderEvents = (after, limit) => {
      limits.push(limit);
      return read(after, limit);
    };
    const feed = new OrderEventFeed(store, { pageSize: 5 });
    const stream = feed.stream({ afterSequence: 0 });
    await take(stream, 1);
    expect(limits).toEqual([5]);
    await take(stream, 10);
    expect(limits).toEqual([5, 5, 5]);
    feed.close();
  });

  it('an aborted stream ends even while it waits for the next event', async () => {
    const feed = new OrderEventFeed(store, { recheckMs: 60_000 });
    const ac = new AbortController();
    const stream = feed.stream({ signal: ac.signal });
    const waiting = stream.next();
    ac.abort();
    expect((await waiting).done).toBe(true);
  });

  it("a stream for one owner's orders skips the others' events and resumes past them", async () => {
    await store.recordOrder(entry({ orderId: '1' }), version('1', 'SUBMITTED', { brokerIdentity: 'sim:DU111111' }));
    await store.recordOrder(entry({ orderId: '2' }), version('2', 'SUBMITTED', { brokerIdentity: 'sim:DU222222' }));
    await store.recordOrder(entry({ orderId: '1' }), version('1', 'FILLED'));
    const feed = new OrderEventFeed(store, { recheckMs: 60_000 });
    const mine = feed.stream({ afterSequence: 0, only: (o) => o.brokerIdentity === 'sim:DU222222' });
    const first = await mine.next();
    expect(first.value).toMatchObject({ sequence: 2, orderId: '2' });
    const next = mine.next();
    await store.recordOrder(entry({ orderId: '1' }), version('1', 'FILLED', { statusMessage: 'again' }));
    await store.recordOrder(entry({ orderId: '2' }), version('2', 'CANCELLED'));
    feed.notify();
    expect((await next).value).toMatchObject({ sequence: 5, orderId: '2', status: 'CANCELLED' });
    feed.close();
  });

  it('picks up orders another process records on the same store, without a signal', async () => {
    const feed = new OrderEventFeed(store, { recheckMs: 20 });
    const stream = feed.stream();
    const waiting = stream.next();
    const other = openAuditStore({ dataDir: dir.dir, synchronous: 'NORMAL' });
    try {
      await other.recordOrder(entry({ orderId: '7' }), version('7', 'PENDING_SUBMIT'));
      expect((await waiting).value).toMatchObject({ sequence: 1, orderId: '7' });
    } finally {
      await other.close();
      feed.close();
    }
  });
});
