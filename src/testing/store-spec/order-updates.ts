/**
 * The contract for writes decided inside the store's transaction (issue 18,
 * after transmit): updateOrder builds an order's next version from its latest
 * version as the transaction sees it, after every write queued before it, and
 * completeIdempotentFrom stores a result built the same way. So a status, a
 * fill and the stored answer of one order, queued together, are written in
 * order with none lost, each built on the one before, and the stored replay
 * is the very value the caller got back.
 */
import { describe, expect, it } from 'vitest';
import type { AuditStore, OrderUpdateRows } from '../../core/audit/types.js';
import type { OrderDetail, OrderStatus } from '../../core/models.js';
import { entry, version } from '../audit/samples.js';

/** The next version of `current` with this status and one more fill marker in its message (null: unknown order). */
const step =
  (status: OrderStatus, note: string) =>
  (current: OrderDetail | null): OrderUpdateRows | null =>
    current === null
      ? null
      : {
          entry: entry({ orderId: current.orderId, eventType: 'ORDER_ACCEPTED', eventData: { previous: current.status, status } }),
          version: version(current.orderId, status, { statusMessage: `${current.statusMessage ?? ''}${note}` }),
        };

export function describeOrderUpdates(current: () => AuditStore): void {
  describe('order updates and results decided inside the write', () => {
    it('updates queued together are each built on the one before, in the order queued', async () => {
      const store = current();
      await store.recordOrder(entry({ orderId: '21' }), version('21', 'PENDING_SUBMIT', { statusMessage: '' }));
      const seen: Array<string | null> = [];
      const [a, b, c] = await Promise.all([
        store.updateOrder('21', (o) => (seen.push(o?.status ?? null), step('ACCEPTED', 'a')(o))),
        store.updateOrder('21', (o) => (seen.push(o?.status ?? null), step('FILLED', 'b')(o))),
        // Nothing to write: resolves to the order as the two before left it.
        store.updateOrder('21', (o) => (seen.push(o?.status ?? null), null)),
      ]);
      expect(seen).toEqual(['PENDING_SUBMIT', 'ACCEPTED', 'FILLED']);
      expect([a.written, a.order?.version, b.written, b.order?.version, c.written, c.order?.version]).toEqual([true, 2, true, 3, false, 3]);
      expect(c.order).toMatchObject({ status: 'FILLED', statusMessage: 'ab' });
      expect((await store.getOrderVersions('21')).map((o) => [o.version, o.status])).toEqual([
        [1, 'PENDING_SUBMIT'],
        [2, 'ACCEPTED'],
        [3, 'FILLED'],
      ]);
      expect((await store.verify()).ok).toBe(true);
    });

    it('an update of an order the store does not have gets null and writes nothing', async () => {
      const store = current();
      const out = await store.updateOrder('nope', step('FILLED', 'x'));
      expect(out).toEqual({ order: null, written: false });
      expect(await store.getOrder('nope')).toBeNull();
    });

    it('an update that throws is rolled back alone; the one queued after it builds on what is committed', async () => {
      const store = current();
      await store.recordOrder(entry({ orderId: '22' }), version('22', 'PENDING_SUBMIT', { statusMessage: '' }));
      const [failed, next] = await Promise.allSettled([
        store.updateOrder('22', () => {
          throw new Error('cannot decide');
        }),
        store.updateOrder('22', step('FILLED', 'f')),
      ]);
      expect(failed.status).toBe('rejected');
      expect(next).toMatchObject({ status: 'fulfilled', value: { written: true, order: { version: 2, status: 'FILLED', statusMessage: 'f' } } });
      expect((await store.verify()).ok).toBe(true);
    });

    it('a result built from the orders as the updates queued before it left them is stored and returned as one value', async () => {
      const store = current();
      await store.recordNewOrders({
        claim: { scope: 'orders.place', key: 'k-21', owner: 'key:desk', requestHash: 'h' },
        rows: () => [{ entry: entry({ orderId: '23' }), version: version('23', 'PENDING_SUBMIT', { expectNew: true }) }],
      });
      const [, stored] = await Promise.all([
        store.updateOrder('23', step('FILLED', 'x')),
        store.completeIdempotentFrom('orders.place', 'k-21', ['23', 'missing'], (orders) => ({ statuses: orders.map((o) => o?.status ?? null), version: orders[0]?.version })),
      ]);
      expect(stored).toEqual({ statuses: ['FILLED', null], version: 2 });
      expect(await store.peekIdempotent('orders.place', 'k-21', 'key:desk', 'h')).toEqual({ kind: 'replay', result: stored });
      expect((await store.verify()).ok).toBe(true);
    });

    it('a result for a key nobody claimed is refused, and nothing is stored', async () => {
      const store = current();
      await expect(store.completeIdempotentFrom('orders.place', 'never', [], () => 1)).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
      expect(await store.peekIdempotent('orders.place', 'never', 'o', 'h')).toBeNull();
    });
  });
}
