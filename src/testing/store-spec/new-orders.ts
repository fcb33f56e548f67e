/**
 * The contract for a new order's pre-transmit write (recordNewOrders, issue
 * 18): the idempotency claim, the id reservation and the orders' rows are
 * one transaction. All of it is written or none of it; a key another request
 * holds (on this handle or another: another process, another gateway)
 * writes nothing and reserves no id; and a claim taken over from an
 * abandoned request is recorded under only while it is still held as taken,
 * so a gateway whose claim another one took meanwhile (its lease lapsed
 * between its checks and its write) records nothing, and so sends nothing.
 */
import { describe, expect, it } from 'vitest';
import type { AuditStore, FoldedClaim, NewOrderRow, NewOrdersOutcome } from '../../core/audit/types.js';
import { entry, version } from '../audit/samples.js';

const CLAIM: FoldedClaim = { scope: 'orders.place', key: 'k-1', owner: 'key:desk', requestHash: 'h-1' };
const LIVE = { hostKey: 'host-a', pid: 4242, leaseMs: 60_000 };

/** An entry and its bracket children under the ids given. */
const bracket = (ids: readonly string[]): NewOrderRow[] =>
  ids.map((id, i) => ({
    entry: entry({ orderId: id, eventData: { idempotencyKey: CLAIM.key } }),
    version: version(id, 'PENDING_SUBMIT', { role: i === 0 ? 'ENTRY' : i === 1 ? 'TAKE_PROFIT' : 'STOP_LOSS', parentOrderId: i === 0 ? null : (ids[0] ?? null), expectNew: true }),
  }));

const recorded = (o: NewOrdersOutcome): Extract<NewOrdersOutcome, { kind: 'recorded' }> => {
  if (o.kind !== 'recorded') throw new Error(`expected the orders recorded, got the key ${o.claim.kind}`);
  return o;
};

export function describeNewOrders(current: () => AuditStore, reopen: () => Promise<AuditStore>): void {
  describe("a new order's pre-transmit write (claim, ids and rows together)", () => {
    it('claims the key, reserves the ids and writes every row; the key is then in progress and the sequence continues after them', async () => {
      const store = current();
      const out = recorded(await store.recordNewOrders({ claim: CLAIM, reserve: { count: 3, floor: 1 }, rows: bracket }));
      expect(out.ids).toEqual(['1', '2', '3']);
      expect(out.orders.map((o) => [o.orderId, o.role, o.parentOrderId, o.status])).toEqual([
        ['1', 'ENTRY', null, 'PENDING_SUBMIT'],
        ['2', 'TAKE_PROFIT', '1', 'PENDING_SUBMIT'],
        ['3', 'STOP_LOSS', '1', 'PENDING_SUBMIT'],
      ]);
      expect(await store.peekIdempotent(CLAIM.scope, CLAIM.key, CLAIM.owner, CLAIM.requestHash)).toMatchObject({ kind: 'in-progress' });
      expect(await store.reserveOrderIds(1, 1)).toBe(4);
      expect((await store.query({ limit: 10 })).entries.map((e) => e.orderId)).toEqual(['1', '2', '3']);
      expect((await store.verify()).ok).toBe(true);
    });

    it('writes nothing and reserves no id when the key is another request’s: in progress, or answered with its stored result', async () => {
      const store = current();
      expect(await store.beginIdempotent(CLAIM.scope, CLAIM.key, CLAIM.owner, CLAIM.requestHash)).toEqual({ kind: 'new' });
      const busy = await store.recordNewOrders({ claim: CLAIM, reserve: { count: 1, floor: 1 }, rows: bracket });
      expect(busy).toMatchObject({ kind: 'claimed-elsewhere', claim: { kind: 'in-progress' } });
      await store.completeIdempotent(CLAIM.scope, CLAIM.key, { orderId: '9' });
      expect(await store.recordNewOrders({ claim: CLAIM, reserve: { count: 1, floor: 1 }, rows: bracket })).toEqual({ kind: 'claimed-elsewhere', claim: { kind: 'replay', result: { orderId: '9' } } });
      await expect(store.recordNewOrders({ claim: { ...CLAIM, owner: 'key:other' }, reserve: { count: 1, floor: 1 }, rows: bracket })).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_FOREIGN' });
      await expect(store.recordNewOrders({ claim: { ...CLAIM, requestHash: 'h-2' }, reserve: { count: 1, floor: 1 }, rows: bracket })).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
      expect((await store.query({ limit: 10 })).entries).toEqual([]);
      expect(await store.reserveOrderIds(1, 1)).toBe(1);
      expect((await store.verify()).ok).toBe(true);
    });

    it('is all or nothing: a row that cannot be written leaves no claim, no reserved id and no row', async () => {
      const store = current();
      await store.recordOrder(entry({ orderId: '5' }), version('5', 'SUBMITTED', { brokerIdentity: 'tws:h:1:DU111111:1' }));
      const clash = store.recordNewOrders({
        claim: CLAIM,
        reserve: { count: 2, floor: 1 },
        // The entry gets a reserved id; the child reuses another broker's order id, which a new order may not.
        rows: (ids) => [...bracket(ids.slice(0, 1)), { entry: entry({ orderId: '5' }), version: version('5', 'PENDING_SUBMIT', { role: 'TAKE_PROFIT', brokerIdentity: 'sim:DU111111', expectNew: true }) }],
      });
      await expect(clash).rejects.toMatchObject({ code: 'ORDER_OTHER_BROKER' });
      expect(await store.peekIdempotent(CLAIM.scope, CLAIM.key, CLAIM.owner, CLAIM.requestHash)).toBeNull();
      expect(await store.reserveOrderIds(1, 1)).toBe(6);
      expect((await store.query({ limit: 10 })).entries.map((e) => e.orderId)).toEqual(['5']);
      expect((await store.verify()).ok).toBe(true);
    });

    it('of one key raced from two handles (two processes), exactly one writes its order; every other writes nothing and sees it in progress', async () => {
      const store = current();
      const other = await reopen();
      try {
        const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? other : store).recordNewOrders({ claim: CLAIM, reserve: { count: 1, floor: 1 }, rows: bracket })));
        const won = outcomes.filter((o) => o.kind === 'recorded');
        expect(won).toHaveLength(1);
        expect(outcomes.filter((o) => o.kind === 'claimed-elsewhere' && o.claim.kind === 'in-progress')).toHaveLength(19);
        expect((await store.listOrders({ status: 'all', limit: 100 })).map((o) => o.orderId)).toEqual(recorded(won[0] as NewOrdersOutcome).ids);
        // The losers reserved nothing: the sequence continues right after the one order.
        expect(await other.reserveOrderIds(1, 1)).toBe(2);
        expect((await store.verify()).ok).toBe(true);
      } finally {
        await other.close();
      }
    });

    it('under a taken-over claim, records only while the claim is still held as taken: one taken again by another gateway meanwhile writes nothing', async () => {
      const store = current();
      const [b, c] = [await reopen(), await reopen()];
      try {
        // A gateway claims and dies (lease 1 ms); b takes its claim over.
        await store.registerInstance({ ...LIVE, leaseMs: 1 });
        await store.beginIdempotent(CLAIM.scope, CLAIM.key, CLAIM.owner, CLAIM.requestHash);
        await b.registerInstance(LIVE);
        await c.registerInstance(LIVE);
        const orphan = await b.peekIdempotent(CLAIM.scope, CLAIM.key, CLAIM.owner, CLAIM.requestHash);
        if (orphan?.kind !== 'in-progress' || orphan.since === undefined) throw new Error('expected the claim in progress');
        const bSince = await b.takeOverIdempotent(CLAIM.scope, CLAIM.key, { since: orphan.since, instanceId: orphan.holder?.instanceId ?? null });
        expect(bSince).not.toBeNull();
        // b stalls past its lease; c judges b gone and takes the claim over in turn, as it sees it.
        const held = await c.peekIdempotent(CLAIM.scope, CLAIM.key, CLAIM.owner, CLAIM.requestHash);
        if (held?.kind !== 'in-progress') throw new Error('expected the claim in progress');
        expect(held.since).toBe(bSince);
        const retaken = await c.takeOverIdempotent(CLAIM.scope, CLAIM.key, { since: held.since ?? '', instanceId: held.holder?.instanceId ?? null });
        expect(retaken).not.toBeNull();
        // b wakes up and records under the claim it took: refused inside the write, nothing written.
        const late = await b.recordNewOrders({ claim: { ...CLAIM, heldSince: bSince ?? '' }, reserve: { count: 1, floor: 1 }, rows: bracket });
        expect(late).toMatchObject({ kind: 'claimed-elsewhere', claim: { kind: 'in-progress' } });
        expect((await store.query({ limit: 10 })).entries).toEqual([]);
        // c, which holds it now, records once.
        expect(recorded(await c.recordNewOrders({ claim: { ...CLAIM, heldSince: retaken ?? '' }, reserve: { count: 1, floor: 1 }, rows: bracket })).ids).toEqual(['1']);
        expect((await store.verify()).ok).toBe(true);
      } finally {
        await b.close();
        await c.close();
      }
    });
  });
}
