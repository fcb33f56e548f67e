/**
 * The contract for several gateways on one store (issue 24): order ids come
 * from one store-wide sequence, so two handles never get the same id and
 * never one below the broker's floor or an id already recorded; an
 * idempotency claim names the instance that holds it and how alive that
 * instance is; a claim whose holder is gone is taken over by exactly one of
 * the handles that try.
 */
import { describe, expect, it } from 'vitest';
import type { AuditStore, IdempotencyBegin } from '../../core/audit/types.js';
import { entry, version } from '../audit/samples.js';

const LIVE = { hostKey: 'host-a', pid: 4242, leaseMs: 60_000 };
const inProgress = (claim: IdempotencyBegin): Extract<IdempotencyBegin, { kind: 'in-progress' }> => {
  if (claim.kind !== 'in-progress') throw new Error(`expected an in-progress claim, got ${claim.kind}`);
  return claim;
};

export function describeSeveralGateways(current: () => AuditStore, reopen: () => Promise<AuditStore>): void {
  describe('several gateways on one store', () => {
    it('reserves order ids from one sequence: consecutive per call, never twice across handles, never below the floor', async () => {
      const store = current();
      const other = await reopen();
      try {
        const blocks = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? other : store).reserveOrderIds(3, 1)));
        const ids = blocks.flatMap((first) => [first, first + 1, first + 2]);
        expect(new Set(ids).size).toBe(90);
        expect(Math.min(...ids)).toBe(1);
        expect(await store.reserveOrderIds(1, 5000)).toBe(5000);
        // The floor only ever raises the sequence: a lower floor later continues above it.
        expect(await other.reserveOrderIds(2, 10)).toBe(5001);
      } finally {
        await other.close();
      }
    });

    it('starts the sequence above every numeric order id already recorded', async () => {
      const store = current();
      await store.recordOrder(entry({ orderId: '700' }), version('700', 'SUBMITTED'));
      expect(await store.reserveOrderIds(1, 1)).toBe(701);
    });

    it('says which instance holds a claim and how alive it is; a heartbeat renews it, a clean end ends it', async () => {
      const store = current();
      const other = await reopen();
      try {
        const holderId = await store.registerInstance(LIVE);
        expect(await store.beginIdempotent('s', 'k', 'o', 'h')).toEqual({ kind: 'new' });
        const seen = inProgress(await other.beginIdempotent('s', 'k', 'o', 'h'));
        expect(seen.holder).toMatchObject({ instanceId: holderId, alive: { hostKey: 'host-a', pid: 4242, leaseMs: 60_000, ended: false } });
        expect(seen.holder?.alive?.heartbeatAgeMs).toBeGreaterThanOrEqual(0);
        expect(seen.holder?.alive?.heartbeatAgeMs).toBeLessThan(5_000);
        await new Promise((r) => setTimeout(r, 60));
        const aged = inProgress(await other.beginIdempotent('s', 'k', 'o', 'h')).holder?.alive?.heartbeatAgeMs ?? 0;
        expect(aged).toBeGreaterThanOrEqual(40);
        await store.heartbeatInstance();
        expect(inProgress(await other.beginIdempotent('s', 'k', 'o', 'h')).holder?.alive?.heartbeatAgeMs).toBeLessThan(aged);
        await store.endInstance();
        expect(inProgress(await other.beginIdempotent('s', 'k', 'o', 'h')).holder?.alive?.ended).toBe(true);
      } finally {
        await other.close();
      }
    });

    it('a claim made without an instance says so (a claim from before instances were recorded)', async () => {
      const store = current();
      await store.beginIdempotent('s', 'old', 'o', 'h');
      expect(inProgress(await store.beginIdempotent('s', 'old', 'o', 'h')).holder).toEqual({ instanceId: null, alive: null });
    });

    it('hands an abandoned claim to exactly one of the handles taking it over, keeps its owner, and the chains verify', async () => {
      const store = current();
      const [b, c] = [await reopen(), await reopen()];
      try {
        await store.registerInstance({ ...LIVE, leaseMs: 1 });
        await store.beginIdempotent('s', 'orphan', 'key:desk', 'h');
        await b.registerInstance(LIVE);
        await c.registerInstance(LIVE);
        const seen = inProgress(await b.beginIdempotent('s', 'orphan', 'key:desk', 'h'));
        const tries = await Promise.all([b, c, b, c].map((s) => s.takeOverIdempotent('s', 'orphan', { since: seen.since ?? '', instanceId: seen.holder?.instanceId ?? null })));
        const taken = tries.filter((t) => t !== null);
        expect(taken).toHaveLength(1);
        const now = inProgress(await store.beginIdempotent('s', 'orphan', 'key:desk', 'h'));
        expect(now.holder?.instanceId).not.toBe(seen.holder?.instanceId);
        // The winner learns the claim's new `since`, which a record later checks it still holds (recordNewOrders' heldSince).
        expect(now.since).toBe(taken[0]);
        await expect(store.beginIdempotent('s', 'orphan', 'key:other', 'h')).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_FOREIGN' });
        // A take-over of a claim that has since changed (or was completed) changes nothing.
        expect(await c.takeOverIdempotent('s', 'orphan', { since: seen.since ?? '', instanceId: seen.holder?.instanceId ?? null })).toBeNull();
        expect((await store.verify()).ok).toBe(true);
      } finally {
        await b.close();
        await c.close();
      }
    });
  });
}
