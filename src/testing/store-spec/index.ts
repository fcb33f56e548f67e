/**
 * The AuditStore contract: what any back end must do, written once and run
 * against each (sqlite/store-spec.test.ts; the PostgreSQL runner calls the
 * same function). A back end passes when every case here holds; its own
 * tests add what is particular to it (file modes, triggers, checkpoints).
 *
 *   describeStoreContract('sqlite', async () => ({ store, reopen, cleanup }))
 *
 * `open` gives a fresh, empty store; `reopen` closes nothing and opens a second
 * handle on the same data (another process, or this one after a restart).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdempotencyConflictError } from '../../core/errors.js';
import type { AuditStore } from '../../core/audit/types.js';
import { AuditQuery, type Fill, OrderListQuery } from '../../core/models.js';
import { entry, SPEC, version } from '../audit/samples.js';
import { describeAccountMessages } from './account-messages.js';
import { describeDeskExposure } from './desk-exposure.js';
import { describeGroupCommit } from './group-commit.js';
import { describeSeveralGateways } from './instances.js';
import { describeNewOrders } from './new-orders.js';
import { describeOrderUpdates } from './order-updates.js';

export interface StoreUnderTest {
  store: AuditStore;
  /** A second handle on the same data. */
  reopen(): Promise<AuditStore>;
  cleanup(): Promise<void>;
}

export type OpenStore = () => Promise<StoreUnderTest>;

const iso = (ms: number): string => new Date(ms).toISOString();
const T0 = Date.parse('2026-01-05T15:00:00.000Z');

export function describeStoreContract(backEnd: string, open: OpenStore): void {
  describe(`AuditStore contract: ${backEnd}`, () => {
    let t: StoreUnderTest;
    let store: AuditStore;
    beforeEach(async () => {
      t = await open();
      store = t.store;
    });
    afterEach(async () => {
      await store.close();
      await t.cleanup();
    });

    describe('the audit chain', () => {
      it('appends rows chained one to the next, from id 1, and verifies', async () => {
        const a = await store.append(entry({ orderId: 'a' }));
        const b = await store.append(entry({ orderId: 'b' }));
        expect(a.id).toBe(1);
        expect(b.id).toBe(2);
        expect(b.prevHash).toBe(a.hash);
        expect(await store.verify()).toMatchObject({ ok: true, checkedRows: expect.any(Number), firstBadId: null });
      });

      it('pages a query by id, oldest first, stable while rows are appended', async () => {
        for (let i = 1; i <= 5; i++) await store.append(entry({ orderId: String(i), correlationId: `c-${i % 2}` }));
        const first = await store.query(AuditQuery.parse({ limit: 2 }));
        expect(first.entries.map((e) => e.orderId)).toEqual(['1', '2']);
        await store.append(entry({ orderId: '6' }));
        const second = await store.query(AuditQuery.parse({ limit: 10, afterId: first.nextAfterId ?? undefined }));
        expect(second.entries.map((e) => e.orderId)).toEqual(['3', '4', '5', '6']);
        expect(second.nextAfterId).toBeNull();
        expect((await store.query(AuditQuery.parse({ correlationId: 'c-1' }))).entries).toHaveLength(3);
      });
    });

    describe('orders', () => {
      it('records an audit row and a new version together; the latest version is the order', async () => {
        const first = await store.recordOrder(entry({ orderId: '7' }), version('7', 'SUBMITTED'));
        const second = await store.recordOrder(entry({ orderId: '7', eventType: 'ORDER_FILLED' }), version('7', 'FILLED'));
        expect(first.order.version).toBe(1);
        expect(second.order).toMatchObject({ orderId: '7', version: 2, status: 'FILLED' });
        expect(await store.getOrder('7')).toMatchObject({ version: 2, status: 'FILLED' });
        expect((await store.getOrderVersions('7')).map((o) => o.status)).toEqual(['SUBMITTED', 'FILLED']);
        expect(await store.getOrder('nope')).toBeNull();
      });

      it('refuses a reused clientOrderId as a whole: no audit row is left behind', async () => {
        await store.recordOrder(entry({ orderId: '1' }), version('1', 'SUBMITTED', { clientOrderId: 'mine' }));
        const before = (await store.query(AuditQuery.parse({}))).entries.length;
        await expect(store.recordOrder(entry({ orderId: '2' }), version('2', 'SUBMITTED', { clientOrderId: 'mine' }))).rejects.toThrow(IdempotencyConflictError);
        expect((await store.query(AuditQuery.parse({}))).entries).toHaveLength(before);
        expect(await store.findOrderByClientOrderId('DU111111', 'mine')).toMatchObject({ orderId: '1' });
      });

      it('refuses a new order under an id another broker identity has', async () => {
        await store.recordOrder(entry({ orderId: '9' }), version('9', 'SUBMITTED', { brokerIdentity: 'sim:DU111111', expectNew: true }));
        await expect(store.recordOrder(entry({ orderId: '9' }), version('9', 'SUBMITTED', { brokerIdentity: 'tws:h:1:DU111111:1', expectNew: true }))).rejects.toMatchObject({
          code: 'ORDER_OTHER_BROKER',
        });
      });

      it('lists the latest versions, open orders by scope, and the highest numeric id', async () => {
        await store.recordOrder(entry({ orderId: '3' }), version('3', 'SUBMITTED', { brokerIdentity: 'sim:DU111111' }));
        await store.recordOrder(entry({ orderId: '4' }), version('4', 'SUBMITTED', { brokerIdentity: 'tws:h:1:DU111111:1' }));
        await store.recordOrder(entry({ orderId: '3' }), version('3', 'FILLED'));
        expect((await store.listOrders(OrderListQuery.parse({ limit: 10 }))).map((o) => [o.orderId, o.status])).toEqual(
          expect.arrayContaining([
            ['3', 'FILLED'],
            ['4', 'SUBMITTED'],
          ]),
        );
        expect((await store.openOrders()).map((o) => o.orderId)).toEqual(['4']);
        expect(await store.openOrders({ identities: ['sim:DU111111'], accounts: [] })).toEqual([]);
        expect(await store.maxNumericOrderId()).toBe(4);
      });

      it('lists every order or one scope, narrowed by account and by owning broker identity', async () => {
        await store.recordOrder(entry({ orderId: '5' }), version('5', 'SUBMITTED', { brokerIdentity: 'sim:DU111111' }));
        await store.recordOrder(entry({ orderId: '6', accountId: 'DU222222' }), version('6', 'SUBMITTED', { accountId: 'DU222222', brokerIdentity: 'sim:DU222222' }));
        await store.recordOrder(entry({ orderId: '7' }), version('7', 'FILLED', { brokerIdentity: 'tws:h:1:DU111111:2' }));
        const ids = async (q: object, scope?: { identities: string[]; accounts: string[] }): Promise<string[]> =>
          (await store.listOrders(OrderListQuery.parse({ limit: 10, ...q }), scope)).map((o) => o.orderId).sort();
        expect(await ids({})).toEqual(['5', '6', '7']);
        expect(await ids({ account: 'DU111111' })).toEqual(['5', '7']);
        expect(await ids({ brokerIdentity: 'tws:h:1:DU111111:2' })).toEqual(['7']);
        expect(await ids({ account: 'DU222222', status: 'open' })).toEqual(['6']);
        expect(await ids({}, { identities: ['sim:DU222222'], accounts: [] })).toEqual(['6']);
        expect(await ids({ brokerIdentity: 'sim:DU111111' }, { identities: ['sim:DU222222'], accounts: [] })).toEqual([]);
        const listed = await store.listOrders(OrderListQuery.parse({ brokerIdentity: 'sim:DU222222' }));
        expect(listed[0]).toMatchObject({ orderId: '6', accountId: 'DU222222', brokerIdentity: 'sim:DU222222' });
      });

      it('lists the orders held for approval now, oldest first, by scope: not one decided since, not one merely open', async () => {
        await store.recordOrder(entry({ orderId: 'APR-1' }), version('APR-1', 'PENDING_APPROVAL', { brokerIdentity: 'sim:DU111111' }));
        await store.recordOrder(entry({ orderId: 'APR-2' }), version('APR-2', 'PENDING_APPROVAL', { brokerIdentity: 'tws:h:1:DU111111:1' }));
        await store.recordOrder(entry({ orderId: 'APR-3' }), version('APR-3', 'PENDING_APPROVAL', { brokerIdentity: 'sim:DU111111' }));
        await store.recordOrder(entry({ orderId: 'APR-3' }), version('APR-3', 'CANCELLED'));
        await store.recordOrder(entry({ orderId: '5' }), version('5', 'SUBMITTED', { brokerIdentity: 'sim:DU111111' }));
        expect((await store.heldOrders()).map((o) => [o.orderId, o.status])).toEqual([
          ['APR-1', 'PENDING_APPROVAL'],
          ['APR-2', 'PENDING_APPROVAL'],
        ]);
        expect((await store.heldOrders({ identities: ['sim:DU111111'], accounts: [] })).map((o) => o.orderId)).toEqual(['APR-1']);
      });

      it('counts placements in a window and finds the last identical one', async () => {
        const place = (id: string, at: number, riskKey: string) =>
          store.recordOrder(entry({ orderId: id }), version(id, 'SUBMITTED', { createdAt: iso(at), placement: { riskKey }, expectNew: true }));
        await place('1', T0, 'k');
        await place('2', T0 + 10_000, 'other');
        await place('3', T0 + 60_000, 'k');
        expect(await store.countPlaced(iso(T0), false, iso(T0 + 60_000))).toBe(2);
        expect(await store.countPlaced(iso(T0), true, iso(T0 + 60_000))).toBe(3);
        expect(await store.lastPlacedWithKey('k', iso(T0 + 59_999))).toBe(iso(T0));
        expect(await store.lastPlacedWithKey('none', iso(T0 + 60_000))).toBeNull();
      });

      it('counts modifications sent or simulated in a window, seen through another handle, and nothing else', async () => {
        const other = await t.reopen();
        try {
          await store.recordOrder(entry({ orderId: '1', timestamp: iso(T0) }), version('1', 'SUBMITTED', { createdAt: iso(T0), placement: { riskKey: 'k' }, expectNew: true }));
          await store.append(entry({ eventType: 'ORDER_MODIFY_REQUESTED', orderId: '1', timestamp: iso(T0 + 10_000) }));
          await other.append(entry({ eventType: 'ORDER_MODIFY_SIMULATED', orderId: '1', timestamp: iso(T0 + 20_000) }));
          // Refused before sending, or the broker's answer to one already counted: not order messages of their own.
          for (const eventType of ['RISK_BLOCKED', 'ORDER_MODIFIED', 'ORDER_MODIFY_REJECTED'] as const) {
            await other.append(entry({ eventType, orderId: '1', timestamp: iso(T0 + 30_000) }));
          }
          expect(await other.countModifications(iso(T0), true, iso(T0 + 60_000))).toBe(2);
          expect(await store.countModifications(iso(T0 + 10_000), false, iso(T0 + 60_000))).toBe(1); // (from, to]: the first has left
          expect(await store.countModifications(iso(T0 + 10_000), true, iso(T0 + 19_999))).toBe(1);
          expect(await store.countModifications(iso(T0 + 21_000), true, iso(T0 + 120_000))).toBe(0);
          // Placements are counted apart.
          expect(await store.countPlaced(iso(T0), true, iso(T0 + 60_000))).toBe(1);
        } finally {
          await other.close();
        }
      });

      it("reads the rate limits' facts in one call: the placements and modifications of both windows and the last identical placement, as the single counts say", async () => {
        const other = await t.reopen();
        try {
          const place = (on: AuditStore, id: string, at: number, riskKey: string) =>
            on.recordOrder(entry({ orderId: id, timestamp: iso(at) }), version(id, 'SUBMITTED', { createdAt: iso(at), placement: { riskKey }, expectNew: true }));
          await place(store, '1', T0, 'k');
          await place(other, '2', T0 + 10_000, 'other');
          await store.append(entry({ eventType: 'ORDER_MODIFY_REQUESTED', orderId: '1', timestamp: iso(T0 + 20_000) }));
          await place(store, '3', T0 + 60_000, 'k');
          await other.append(entry({ eventType: 'ORDER_MODIFY_SIMULATED', orderId: '3', timestamp: iso(T0 + 61_000) }));
          // A later version and an order adopted without a placement count for nothing.
          await store.recordOrder(entry({ orderId: '1', timestamp: iso(T0 + 62_000) }), version('1', 'ACCEPTED'));
          await store.recordOrder(entry({ orderId: '9', timestamp: iso(T0 + 63_000) }), version('9', 'ACCEPTED', { createdAt: iso(T0 + 63_000) }));

          const facts = (now: number, dayStart: number, riskKey = 'k') => store.rateFacts({ minuteFromIso: iso(now - 60_000), dayFromIso: iso(dayStart), toIso: iso(now), riskKey });
          expect(await facts(T0 + 60_000, T0)).toEqual({ messagesLastMinute: 3, messagesToday: 4, lastIdenticalAt: iso(T0 + 60_000) });
          expect(await facts(T0 + 59_999, T0 + 1, 'other')).toEqual({ messagesLastMinute: 3, messagesToday: 2, lastIdenticalAt: iso(T0 + 10_000) });
          expect(await facts(T0 - 1, T0 - 3_600_000)).toEqual({ messagesLastMinute: 0, messagesToday: 0, lastIdenticalAt: null });
          // Every window edge agrees with the single-purpose reads.
          for (const now of [T0, T0 + 10_000, T0 + 20_000, T0 + 59_999, T0 + 60_000, T0 + 61_000, T0 + 80_000, T0 + 120_000, T0 + 121_000]) {
            for (const dayStart of [T0 - 1, T0, T0 + 10_000, T0 + 10_001]) {
              const minuteAgo = iso(now - 60_000);
              const single = {
                messagesLastMinute: (await other.countPlaced(minuteAgo, false, iso(now))) + (await other.countModifications(minuteAgo, false, iso(now))),
                messagesToday: (await other.countPlaced(iso(dayStart), true, iso(now))) + (await other.countModifications(iso(dayStart), true, iso(now))),
                lastIdenticalAt: await other.lastPlacedWithKey('k', iso(now)),
              };
              expect(await facts(now, dayStart)).toEqual(single);
            }
          }
        } finally {
          await other.close();
        }
      });

      it("follows the day's fills incrementally", async () => {
        const fill = (execId: string, at: number): Fill => ({
          execId,
          orderId: '5',
          time: iso(at),
          side: 'BUY',
          quantity: 1,
          price: 190,
          commission: 1,
          commissionCurrency: 'USD',
          realizedPnl: -2,
          exchange: null,
        });
        await store.recordOrder(entry({ orderId: '5' }), version('5', 'PARTIALLY_FILLED', { fills: [fill('e1', T0 + 1000)] }));
        const first = await store.fillsSince('DU111111', iso(T0), 0);
        expect(first.fills.map((f) => f.execId)).toEqual(['e1']);
        await store.recordOrder(entry({ orderId: '5' }), version('5', 'FILLED', { fills: [fill('e1', T0 + 1000), fill('e2', T0 + 2000)] }));
        const next = await store.fillsSince('DU111111', iso(T0), first.lastRowId);
        expect(next.fills.map((f) => f.execId)).toEqual(['e1', 'e2']);
        expect(next.lastRowId).toBeGreaterThan(first.lastRowId);
      });

      it("follows the day's fills another handle writes between two reads, and never a refused write's", async () => {
        const fill = (orderId: string, execId: string): Fill => ({
          execId,
          orderId,
          time: iso(T0 + 1000),
          side: 'BUY',
          quantity: 1,
          price: 190,
          commission: 1,
          commissionCurrency: 'USD',
          realizedPnl: 3,
          exchange: null,
        });
        await store.recordOrder(entry({ orderId: '5' }), version('5', 'PARTIALLY_FILLED', { clientOrderId: 'c-5', fills: [fill('5', 'e1')] }));
        const first = await store.fillsSince('DU111111', iso(T0), 0);
        const other = await t.reopen();
        try {
          await other.recordOrder(entry({ orderId: '6' }), version('6', 'PARTIALLY_FILLED', { fills: [fill('6', 'o1')] }));
          await store.recordOrder(entry({ orderId: '5' }), version('5', 'FILLED', { fills: [fill('5', 'e1'), fill('5', 'e2')] }));
          // Refused (the clientOrderId is taken): its fill was never written.
          await expect(store.recordOrder(entry({ orderId: '7' }), version('7', 'FILLED', { clientOrderId: 'c-5', fills: [fill('7', 'never')] }))).rejects.toThrow(IdempotencyConflictError);
          const next = await store.fillsSince('DU111111', iso(T0), first.lastRowId);
          expect(next.fills.map((f) => f.execId)).toEqual(['o1', 'e1', 'e2']);
          await other.recordOrder(entry({ orderId: '6' }), version('6', 'FILLED', { fills: [fill('6', 'o1'), fill('6', 'o2')] }));
          const last = await store.fillsSince('DU111111', iso(T0), next.lastRowId);
          expect(last.fills.map((f) => f.execId)).toEqual(['o1', 'o2']);
          expect(last.lastRowId).toBeGreaterThan(next.lastRowId);
          expect(await store.fillsSince('DU111111', iso(T0), last.lastRowId)).toEqual({ fills: [], lastRowId: last.lastRowId });
        } finally {
          await other.close();
        }
      });

      it('numbers order events by sequence, oldest first, with their kind', async () => {
        await store.recordOrder(entry({ orderId: '6' }), version('6', 'SUBMITTED'));
        await store.recordOrder(entry({ orderId: '6', eventType: 'ORDER_FILLED' }), version('6', 'FILLED'));
        const events = await store.orderEvents(0, 10);
        expect(events.map((e) => e.order.status)).toEqual(['SUBMITTED', 'FILLED']);
        expect(events[1]?.sequence).toBeGreaterThan(events[0]?.sequence ?? Infinity);
        expect(await store.lastOrderSequence()).toBe(events[1]?.sequence);
        expect(await store.orderEvents(events[0]?.sequence, 10)).toHaveLength(1);
      });

      it('streams an execution the broker made without an order (an order born with its fill) as a FILL event, a plain first version as NEW', async () => {
        const exercised: Fill = { execId: 'x1', orderId: '8', time: iso(T0), side: 'BUY', quantity: 10, price: 190.25, commission: 1, commissionCurrency: 'USD', realizedPnl: null, exchange: null };
        await store.recordOrder(entry({ orderId: '8', eventType: 'BROKER_INITIATED_FILL' }), version('8', 'FILLED', { fills: [exercised] }));
        await store.recordOrder(entry({ orderId: '9' }), version('9', 'FILLED', { fills: [{ ...exercised, execId: 'x2', orderId: '9' }] }));
        const [born, placed] = await store.orderEvents(0, 10);
        expect(born).toMatchObject({ kind: 'FILL', orderId: '8', auditEventType: 'BROKER_INITIATED_FILL', fill: { execId: 'x1' }, previousStatus: null });
        expect(placed).toMatchObject({ kind: 'NEW', orderId: '9', fill: null });
      });
    });

    describe('idempotency keys', () => {
      it('new, then in progress, then the stored result; foreign owners and other requests are refused', async () => {
        expect(await store.beginIdempotent('s', 'k', 'key:a', 'h1')).toEqual({ kind: 'new' });
        expect(await store.beginIdempotent('s', 'k', 'key:a', 'h1')).toMatchObject({ kind: 'in-progress' });
        await store.completeIdempotent('s', 'k', { orderId: '1' });
        expect(await store.beginIdempotent('s', 'k', 'key:a', 'h1')).toEqual({ kind: 'replay', result: { orderId: '1' } });
        await expect(store.beginIdempotent('s', 'k', 'key:b', 'h1')).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_FOREIGN' });
        await expect(store.beginIdempotent('s', 'k', 'key:a', 'h2')).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
      });

      it('gives a claimed key back on release, never a completed one', async () => {
        await store.beginIdempotent('s', 'r', 'o', 'h');
        await store.releaseIdempotent('s', 'r');
        expect(await store.beginIdempotent('s', 'r', 'o', 'h')).toEqual({ kind: 'new' });
        await store.completeIdempotent('s', 'r', 1);
        await store.releaseIdempotent('s', 'r');
        expect(await store.beginIdempotent('s', 'r', 'o', 'h')).toEqual({ kind: 'replay', result: 1 });
      });

      it('stores no result for a key never claimed or given back, and chains nothing for it', async () => {
        await expect(store.completeIdempotent('s', 'never', 1)).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
        await store.beginIdempotent('s', 'back', 'o', 'h');
        await store.releaseIdempotent('s', 'back');
        await expect(store.completeIdempotent('s', 'back', 1)).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
        expect(await store.beginIdempotent('s', 'never', 'o', 'h')).toEqual({ kind: 'new' });
        expect(await store.verify()).toMatchObject({ ok: true });
      });

      it('hands a key claimed many times at once to exactly one caller, across two handles', async () => {
        const other = await t.reopen();
        try {
          const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? other : store).beginIdempotent('s', 'race', 'o', 'h')));
          expect(claims.filter((c) => c.kind === 'new')).toHaveLength(1);
        } finally {
          await other.close();
        }
      });
    });

    describe('state beside the log', () => {
      it('keeps named values, seen through another handle, and moves the change mark', async () => {
        expect(await store.getState('killSwitch')).toBeNull();
        const mark = await store.changeMark();
        await store.setState('killSwitch', { engaged: true, reason: 'test' });
        expect(await store.changeMark()).not.toBe(mark);
        const other = await t.reopen();
        try {
          expect(await other.getState('killSwitch')).toEqual({ engaged: true, reason: 'test' });
        } finally {
          await other.close();
        }
        expect((await store.verify()).ok).toBe(true);
      });

      it("moves the state mark on this handle's setState and on another handle's commit", async () => {
        const mark = await store.stateMark();
        await store.setState('killSwitch', { engaged: true, reason: 'test' });
        const afterSet = await store.stateMark();
        expect(afterSet).not.toBe(mark);
        const other = await t.reopen();
        try {
          await other.setState('killSwitch', { engaged: false, reason: null });
          // Another handle's commit is heard (PostgreSQL: by notification, within a second).
          await expect.poll(() => store.stateMark(), { timeout: 2000, interval: 20 }).not.toBe(afterSet);
          expect(await store.getState('killSwitch')).toEqual({ engaged: false, reason: null });
        } finally {
          await other.close();
        }
      });
    });

    describe('durability and closing', () => {
      it('a relaxed write resolves and reads back like a durable one', async () => {
        await store.recordOrder(entry({ orderId: '8' }), version('8', 'SUBMITTED'));
        await store.recordOrder(entry({ orderId: '8' }), version('8', 'ACCEPTED'), { durability: 'relaxed' });
        expect(await store.getOrder('8')).toMatchObject({ status: 'ACCEPTED' });
        expect((await store.verify()).ok).toBe(true);
      });

      it('close() keeps writes already asked for', async () => {
        const pending = store.append(entry({ orderId: 'last' }));
        await store.close();
        await pending;
        store = await t.reopen();
        expect((await store.query(AuditQuery.parse({ orderId: 'last' }))).entries).toHaveLength(1);
      });
    });

    describeGroupCommit(() => store, SPEC);
    describeSeveralGateways(() => store, () => t.reopen());
    describeNewOrders(() => store, () => t.reopen());
    describeOrderUpdates(() => store);
    describeDeskExposure(() => store, () => t.reopen());
    describeAccountMessages(() => store, () => t.reopen());
  });
}
