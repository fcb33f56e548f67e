/**
 * The safety state in the store, as two processes see it: two connections to
 * one audit.db. Placements are counted from the order history (window edges
 * exact), the duplicate guard finds the last identical order, the day's
 * realised P&L is read incrementally, orders carry their broker identity, and
 * a kill switch engaged through one connection is seen by the other's next read,
 * and the circuit breaker counts one streak of rejections across both.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { KillSwitch } from '../kill-switch.js';
import type { Fill } from '../models.js';
import { createRiskEngine } from '../risk/engine.js';
import { storeHistory } from '../risk/history.js';
import { baseLimits } from '../../testing/risk-fixtures.js';
import { entry, SPEC, tempDir, version } from '../../testing/audit/samples.js';
import { openAuditStore, type SqliteAuditStore } from './sqlite/store.js';

const T0 = Date.parse('2026-11-25T15:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

let dir: { dir: string; cleanup: () => void };
let a: SqliteAuditStore;
let b: SqliteAuditStore;
const clock = new ManualClock(T0);

beforeEach(async () => {
  dir = tempDir();
  a = openAuditStore({ dataDir: dir.dir, clock });
  b = openAuditStore({ dataDir: dir.dir, clock });
});
afterEach(async () => {
  await a.close();
  await b.close();
  dir.cleanup();
});

const place = async (store: SqliteAuditStore, orderId: string, at: number, riskKey = `k${orderId}`, identity = 'sim:DU111111') =>
  (await store.recordOrder(entry({ orderId }), version(orderId, 'SUBMITTED', { createdAt: iso(at), brokerIdentity: identity, placement: { riskKey }, expectNew: true }))).order;

describe('placements counted from the order history', () => {
  it('counts orders placed through either connection; the window edges are exact', async () => {
    await place(a, '1', T0);
    await place(b, '2', T0 + 10_000);
    await place(a, '3', T0 + 60_000);
    // A later version of an order and an adopted order (no placement) count for nothing.
    await a.recordOrder(entry({ orderId: '1' }), version('1', 'ACCEPTED'));
    await a.recordOrder(entry({ orderId: '9' }), version('9', 'ACCEPTED', { createdAt: iso(T0 + 5_000), brokerIdentity: 'sim:DU111111' }));

    expect(await b.countPlaced(iso(T0), false, iso(T0 + 60_000))).toBe(2); // (T0, T0+60s]: order 1 has left the window
    expect(await b.countPlaced(iso(T0), true, iso(T0 + 60_000))).toBe(3);
    expect(await a.countPlaced(iso(T0 + 1), true, iso(T0 + 59_999))).toBe(1);
    expect(await a.countPlaced(iso(T0 + 60_001), true, iso(T0 + 120_000))).toBe(0);
    expect(await a.countPlaced(iso(T0 - 1000), true, iso(T0 - 1))).toBe(0);
  });

  it('the history answers the risk engine: last minute, today, and the last identical order', async () => {
    const history = storeHistory(b);
    await place(a, '1', T0, 'same');
    await place(a, '2', T0 + 30_000, 'other');
    const facts = (now: number) => history.facts(SPEC, 'DU111111', now, T0);
    expect(await facts(T0 + 30_000)).toMatchObject({ placedLastMinute: 2, placedToday: 2 });
    expect(await facts(T0 + 60_000)).toMatchObject({ placedLastMinute: 1, placedToday: 2 });
  });

  it('refuses a new order under an id another broker identity already has, and keeps the first identity on later versions', async () => {
    await place(a, '7', T0, 'x', 'sim:DU111111');
    await expect(place(b, '7', T0 + 1, 'y', 'tws:127.0.0.1:4002:DU111111:1')).rejects.toThrow(/already belongs to sim:DU111111/);
    const next = (await b.recordOrder(entry({ orderId: '7' }), version('7', 'ACCEPTED', { brokerIdentity: 'tws:elsewhere' }))).order;
    expect(next.brokerIdentity).toBe('sim:DU111111');
    expect((await a.verify()).ok).toBe(true);
  });

  it('lists and counts only the orders of a scope; identity-less rows belong to the broker of their account', async () => {
    await place(a, '1', T0, 'a', 'sim:DU111111');
    await place(a, '2', T0, 'b', 'tws:h:4002:DU111111:1');
    await a.recordOrder(entry({ orderId: '3' }), version('3', 'SUBMITTED')); // written before identities existed
    const sim = { identities: ['sim:DU111111'], accounts: ['DU111111'] };
    const elsewhere = { identities: ['sim:DU999999'], accounts: ['DU999999'] };
    expect((await b.openOrders(sim)).map((o) => o.orderId)).toEqual(['1', '3']);
    expect((await b.listOrders({ status: 'open', limit: 100 }, sim)).map((o) => o.orderId).sort()).toEqual(['1', '3']);
    expect(await b.openOrders(elsewhere)).toEqual([]);
    expect(await b.openOrders()).toHaveLength(3);
  });
});

describe("the day's realised P&L", () => {
  const fill = (orderId: string, execId: string, at: number, realizedPnl: number | null): Fill => ({
    execId,
    orderId,
    time: iso(at),
    side: 'SELL',
    quantity: 5,
    price: 190,
    commission: 1,
    commissionCurrency: 'USD',
    realizedPnl,
    exchange: 'SIM',
  });

  it('sums fills since the day start once each, whichever connection wrote them, reading only new rows', async () => {
    const history = storeHistory(b);
    await place(a, '1', T0 - 3_600_000);
    // A fill before the day started, then two today; every version repeats the order's fills.
    await a.recordOrder(entry({ orderId: '1' }), version('1', 'PARTIALLY_FILLED', { fills: [fill('1', 'e0', T0 - 60_000, -1000)] }));
    await a.recordOrder(entry({ orderId: '1' }), version('1', 'PARTIALLY_FILLED', { fills: [fill('1', 'e0', T0 - 60_000, -1000), fill('1', 'e1', T0 + 1000, -25.5)] }));
    expect((await history.realizedSince('DU111111', T0)).toNumber()).toBe(-25.5);
    await a.recordOrder(entry({ orderId: '1' }), version('1', 'FILLED', { fills: [fill('1', 'e0', T0 - 60_000, -1000), fill('1', 'e1', T0 + 1000, -25.5), fill('1', 'e2', T0 + 2000, 10)] }));
    expect((await history.realizedSince('DU111111', T0)).toNumber()).toBe(-15.5);
    // A fresh reader (a restart) arrives at the same figure.
    expect((await storeHistory(a).realizedSince('DU111111', T0)).toNumber()).toBe(-15.5);
    expect((await storeHistory(a).realizedSince('DU999999', T0)).toNumber()).toBe(0);
  });
});

describe('the kill switch across connections', () => {
  it("is seen by the other connection's next read, with no reopen", async () => {
    const gateway = new KillSwitch(a, clock);
    const cli = new KillSwitch(b, clock);
    expect((await gateway.state()).engaged).toBe(false);
    await cli.set(true, 'from another process', null);
    expect(await gateway.state()).toMatchObject({ engaged: true, reason: 'from another process' });
    await gateway.set(false, null, null);
    expect((await cli.state()).engaged).toBe(false);
    expect((await a.verify()).ok).toBe(true);
  });

  it("re-reads only when the store's change mark moved", async () => {
    const mark = await a.changeMark();
    expect(await a.changeMark()).toBe(mark);
    await b.append(entry({ orderId: null, eventType: 'CONFIG_LOADED', eventData: { spec: SPEC } }));
    const afterOther = await a.changeMark();
    expect(afterOther).not.toBe(mark);
    await a.setState('x', 1);
    expect(await a.changeMark()).not.toBe(afterOther);
  });
});

describe('the circuit breaker across connections (CIRCUIT_BREAKER_REJECTIONS=3)', () => {
  const engineOn = (store: SqliteAuditStore) => createRiskEngine(baseLimits({ circuitBreakerRejections: 3 }), { store: storeHistory(store) });

  it('counts rejections recorded through either connection as one streak, and trips on the third', async () => {
    const [gateway, cli] = [engineOn(a), engineOn(b)];
    const outcomes: boolean[] = [];
    for (const engine of [gateway, cli, gateway]) outcomes.push(await engine.recordOutcome('rejected'));
    expect(outcomes).toEqual([false, false, true]);
    // Tripping restarts the count for both.
    expect([await cli.recordOutcome('rejected'), await gateway.recordOutcome('rejected')]).toEqual([false, false]);
    expect((await a.verify()).ok).toBe(true);
  });

  it("an order accepted through one connection ends the other's streak; a restart continues it", async () => {
    const [gateway, cli] = [engineOn(a), engineOn(b)];
    await gateway.recordOutcome('rejected');
    await gateway.recordOutcome('rejected');
    await cli.recordOutcome('accepted');
    expect([await gateway.recordOutcome('rejected'), await gateway.recordOutcome('rejected')]).toEqual([false, false]);
    // A fresh engine over the same store (a restarted gateway) continues the streak of two.
    expect(await engineOn(b).recordOutcome('rejected')).toBe(true);
  });

  it('counts rejections answered together in one process one after another', async () => {
    const gateway = engineOn(a);
    // Three answers at once: each must read the count the previous one wrote, or the streak would stall at one.
    expect(await Promise.all([gateway.recordOutcome('rejected'), gateway.recordOutcome('rejected'), gateway.recordOutcome('rejected')])).toEqual([false, false, true]);
  });
});
