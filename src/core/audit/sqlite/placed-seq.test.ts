/**
 * Each placement takes the next placed_seq (the order-rate limits count a window as the distance between its
 * first and last placement). A connection remembers the highest one it has seen instead of reading
 * MAX(placed_seq) for every placement: the numbers must stay 1, 2, 3... without a gap or a repeat when several
 * placements share a transaction, when one of them is rolled back, and when another connection places in between.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { entry, version } from '../../../testing/audit/samples.js';
import { useTempSqliteStore } from '../../../testing/audit/temp-store.js';
import { openAuditStore, type SqliteAuditStore } from './store.js';

const temp = useTempSqliteStore();
let other: SqliteAuditStore | null = null;
afterEach(async () => {
  await other?.close();
  other = null;
});

const T0 = Date.parse('2026-11-25T15:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const place = (store: SqliteAuditStore, orderId: string, at = T0) =>
  store.recordOrder(entry({ orderId }), version(orderId, 'SUBMITTED', { createdAt: iso(at), placement: { riskKey: `k${orderId}` }, expectNew: true }));

const sequence = (): Array<[string, number]> =>
  temp.withFile((db) => (db.prepare('SELECT order_id, placed_seq FROM order_history WHERE placed_seq IS NOT NULL ORDER BY id').all() as Array<{ order_id: string; placed_seq: number }>).map((r) => [r.order_id, r.placed_seq]));

describe('placement sequence numbers', () => {
  it('placements sharing a transaction, one of them rolled back, and another connection placing in between: 1, 2, 3... with no gap or repeat', async () => {
    // One event-loop turn: one batch of three placements.
    await Promise.all([place(temp.store, '1'), place(temp.store, '2'), place(temp.store, '3')]);
    // Another batch: the middle write fails (the id is taken) and is rolled back alone; the next placement takes the number it would have had.
    const [ok, refused, after] = await Promise.allSettled([place(temp.store, '4'), place(temp.store, '1'), place(temp.store, '5')]);
    expect([ok.status, refused.status, after.status]).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // Another process places; this connection's next placement comes after it.
    other = openAuditStore({ dataDir: temp.dir, synchronous: 'NORMAL' });
    await place(other, '6');
    await place(temp.store, '7');
    await place(other, '8');
    // A later version of an order is no placement.
    await temp.store.recordOrder(entry({ orderId: '7' }), version('7', 'ACCEPTED'));
    await place(temp.store, '9');

    expect(sequence()).toEqual([
      ['1', 1],
      ['2', 2],
      ['3', 3],
      ['4', 4],
      ['5', 5],
      ['6', 6],
      ['7', 7],
      ['8', 8],
      ['9', 9],
    ]);
    expect(await other.countPlaced(iso(T0), true, iso(T0))).toBe(9);
  });
});
