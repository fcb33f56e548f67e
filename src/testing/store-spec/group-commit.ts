/**
 * The contract for writes asked for together (group commit, issue 18): many
 * writes in one event-loop turn all resolve, in the order asked for, each
 * chain intact; one write that fails rejects alone and leaves nothing of
 * itself, while its neighbours are committed; nothing resolves before it can
 * be read back.
 */
import { describe, expect, it } from 'vitest';
import { IdempotencyConflictError } from '../../core/errors.js';
import type { AuditStore } from '../../core/audit/types.js';
import { AuditQuery, type OrderSpec } from '../../core/models.js';
import { entry, version } from '../audit/samples.js';

export function describeGroupCommit(current: () => AuditStore, spec: OrderSpec): void {
  describe('writes asked for together', () => {
    it('all resolve, in the order asked for, and the chains verify', async () => {
      const store = current();
      const ids = Array.from({ length: 40 }, (_, i) => String(100 + i));
      const written = await Promise.all(ids.map((id) => store.recordOrder(entry({ orderId: id, eventData: { spec } }), version(id, 'SUBMITTED'))));
      expect(written.map((w) => w.entry.orderId)).toEqual(ids);
      const auditIds = written.map((w) => w.entry.id);
      expect(auditIds).toEqual([...auditIds].sort((a, b) => a - b));
      expect(new Set(auditIds).size).toBe(ids.length);
      expect((await store.verify()).ok).toBe(true);
    });

    it('each resolves only once it can be read back', async () => {
      const store = current();
      const reads = await Promise.all(
        ['a1', 'a2', 'a3'].map(async (id) => {
          await store.recordOrder(entry({ orderId: id }), version(id, 'SUBMITTED'));
          return store.getOrder(id);
        }),
      );
      expect(reads.map((o) => o?.orderId)).toEqual(['a1', 'a2', 'a3']);
    });

    it('one failing write rejects alone, leaves nothing of itself, and its neighbours commit', async () => {
      const store = current();
      await store.recordOrder(entry({ orderId: 'x0' }), version('x0', 'SUBMITTED', { clientOrderId: 'taken' }));
      const results = await Promise.allSettled([
        store.recordOrder(entry({ orderId: 'x1' }), version('x1', 'SUBMITTED')),
        store.recordOrder(entry({ orderId: 'x2' }), version('x2', 'SUBMITTED', { clientOrderId: 'taken' })),
        store.append(entry({ orderId: 'x3' })),
        store.beginIdempotent('s', 'g', 'o', 'h'),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(IdempotencyConflictError);
      expect(await store.getOrder('x1')).not.toBeNull();
      expect(await store.getOrder('x2')).toBeNull();
      expect((await store.query(AuditQuery.parse({ orderId: 'x2' }))).entries).toHaveLength(0);
      expect((await store.query(AuditQuery.parse({ orderId: 'x3' }))).entries).toHaveLength(1);
      expect((await store.verify()).ok).toBe(true);
    });

    it('durable and relaxed writes asked for together all resolve', async () => {
      const store = current();
      const results = await Promise.all([
        store.append(entry({ orderId: 'd1' })),
        store.append(entry({ orderId: 'r1' }), { durability: 'relaxed' }),
        store.append(entry({ orderId: 'd2' })),
      ]);
      expect(results.map((e) => e.orderId)).toEqual(['d1', 'r1', 'd2']);
      expect((await store.verify()).ok).toBe(true);
    });
  });
}
