/**
 * The order event feed wakes for another process's writes on the same SQLite
 * file (PRAGMA data_version, read by the feed's watcher), well within a
 * second, although the slow backstop recheck is a minute away: a desk screen
 * on one process follows orders the CLI or a second process records. (The
 * PostgreSQL counterpart, two gateway processes, is in
 * core/audit/postgres/desk-view.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuditStore, type SqliteAuditStore } from '../audit/sqlite/store.js';
import { runFixture } from '../../testing/audit/children.js';
import { compileAudit } from '../../testing/audit/compile-audit.mjs';
import { tempDir } from '../../testing/audit/samples.js';
import { OrderEventFeed } from './event-feed.js';

let modulePath: string;
let dir: ReturnType<typeof tempDir>;
let store: SqliteAuditStore;

beforeAll(() => {
  modulePath = compileAudit(`event-feed-${process.pid}`);
  dir = tempDir();
  store = openAuditStore({ dataDir: dir.dir, synchronous: 'NORMAL' });
});
afterAll(async () => {
  await store.close();
  dir.cleanup();
});

describe('OrderEventFeed across processes on one SQLite file', () => {
  it("delivers each order another process records within a second, with no signal from that process and the recheck a minute away", async () => {
    const feed = new OrderEventFeed(store, { recheckMs: 60_000 });
    const writer = runFixture('order-writer.mjs', [modulePath, dir.dir]);
    try {
      await writer.waitFor('ready');
      const events = feed.stream();
      for (const orderId of ['w-1', 'w-2', 'w-3']) {
        const next = events.next();
        // Let the stream settle into waiting (its first read done) before the other process writes.
        await new Promise((resolve) => setTimeout(resolve, 300));
        writer.child.stdin?.write(`${orderId}\n`);
        await writer.waitFor(`recorded ${orderId}`);
        const committed = performance.now();
        const event = await next;
        const lagMs = performance.now() - committed;
        expect(event.value).toMatchObject({ kind: 'NEW', orderId, order: { brokerIdentity: 'sim:DU2' } });
        expect(lagMs).toBeLessThan(1000);
      }
    } finally {
      writer.child.stdin?.end();
      await writer.exited;
      feed.close();
    }
  }, 60_000);

  it('does not wake for writes that add no order event', async () => {
    const feed = new OrderEventFeed(store, { recheckMs: 60_000, watchMs: 20 });
    const other = openAuditStore({ dataDir: dir.dir, synchronous: 'NORMAL' });
    let reads = 0;
    const counted = store.orderEvents.bind(store);
    store.orderEvents = async (after, limit) => {
      reads += 1;
      return counted(after, limit);
    };
    try {
      const events = feed.stream();
      const next = events.next();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const before = reads;
      // State rows move the change mark but add no order event: the subscriber is not woken to read.
      for (let i = 0; i < 5; i++) await other.setState('note', i);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(reads).toBe(before);
      await other.recordOrder(
        { correlationId: 'c', eventType: 'ORDER_SUBMITTED', eventData: {}, userContext: { interface: 'cli', apiKeyName: null }, accountId: 'DU2', orderId: 'w-9', configSnapshot: null },
        { orderId: 'w-9', clientOrderId: null, parentOrderId: null, role: 'ENTRY', accountId: 'DU2', conId: null, status: 'SUBMITTED', spec: { symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 1, orderType: 'MKT', timeInForce: 'DAY', outsideRth: false }, filledQuantity: 0, remainingQuantity: 1, avgFillPrice: null, commission: null, fills: [], statusMessage: null, correlationId: 'c' },
      );
      expect((await next).value).toMatchObject({ orderId: 'w-9' });
    } finally {
      await other.close();
      feed.close();
    }
  });
});
