/**
 * Daily futures variation margin: each settlement pays the change in value
 * into cash; net liquidation does not move; closing later pays only what is
 * left, so the cash a round trip leaves is the same with or without
 * settlements in between.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import type { Contract } from '../../core/models.js';
import type { Instrument } from './catalogue.js';
import { Ledger, type LedgerPosition, type Mark } from './ledger.js';
import { lastDailySettlement, settlementMinute } from './variation-margin.js';
import { flush, makeSimHarness, placeSim, type SimHarness } from '../../testing/sim-harness.js';

const ES: Contract = { conId: 495002603, symbol: 'ES', securityType: 'FUT', exchange: 'CME', currency: 'USD', multiplier: 50, minTick: 0.25, expiry: '2026-03-20' };
const d = (v: Decimal.Value): Decimal => new Decimal(v);
const at = (price: number) => (_p: LedgerPosition): Mark => ({ price, fx: 1, margin: { initialPerContract: 22000, maintenancePerContract: 20000 } });
const trade = (l: Ledger, side: 'BUY' | 'SELL', qty: number, price: number) =>
  l.applyFill({ contract: ES, cls: 'future', side, quantity: d(qty), price: d(price), fxRate: d(1), commission: d('2.25'), time: '2026-01-05T15:00:00.000Z' });

describe('variation margin in the ledger', () => {
  it('a settlement moves the open P&L into cash and leaves net liquidation where it was', () => {
    const l = Ledger.fresh(100_000);
    trade(l, 'BUY', 2, 6000);
    const before = l.valuation(at(6010));
    expect(l.settleVariation(ES.conId, d(6010), '2026-01-05T21:00:00.000Z').toNumber()).toBe(1000);
    const after = l.valuation(at(6010));
    expect(after.netLiquidation.toString()).toBe(before.netLiquidation.toString());
    expect(after.cash.minus(before.cash).toNumber()).toBe(1000);
    // The portfolio still shows the P&L from the entry, as IBKR's does.
    expect(after.unrealized.toString()).toBe(before.unrealized.toString());
  });

  it('a round trip leaves the same cash with or without settlements, partial closes included', () => {
    const plain = Ledger.fresh(100_000);
    const settled = Ledger.fresh(100_000);
    for (const l of [plain, settled]) trade(l, 'BUY', 3, 6000);
    settled.settleVariation(ES.conId, d(5990), 'a');
    for (const l of [plain, settled]) trade(l, 'SELL', 1, 6005);
    settled.settleVariation(ES.conId, d(6020.5), 'b');
    for (const l of [plain, settled]) trade(l, 'SELL', 2, 6012.25);
    expect(settled.totals.cash.toString()).toBe(plain.totals.cash.toString());
    expect(settled.position(ES.conId)?.realized.toString()).toBe(plain.position(ES.conId)?.realized.toString());
    expect(settled.position(ES.conId)?.variationSettled?.toNumber()).toBe(0);
  });
});

describe('variation margin in the simulated broker', () => {
  let h: SimHarness | null = null;
  afterEach(async () => {
    await h?.cleanup();
    h = null;
  });

  it("a long ES held over Monday's close has that day's variation in cash on Tuesday, once, and still after a restart", async () => {
    h = makeSimHarness();
    await h.broker.connect();
    const [es] = await h.broker.resolveContracts({ symbol: 'ES', securityType: 'FUT' });
    const ack = await placeSim(h.broker, es as Contract, { symbol: 'ES', securityType: 'FUT', action: 'BUY', quantity: 1, orderType: 'MKT' });
    await flush();
    const entry = (await h.broker.getOrder(ack.orderId))?.avgFillPrice as number;
    const cashAtEntry = (await h.broker.getAccountSummary('DU1234567')).totalCash;
    await h.advance(5 * 3_600_000);
    // Monday 15:00 ET: before the close, nothing has been settled.
    expect((await h.broker.getAccountSummary('DU1234567')).totalCash).toBe(cashAtEntry);
    h.clock.set('2026-01-06T15:00:00.000Z');
    await flush();
    const tuesday = await h.broker.getAccountSummary('DU1234567');
    const paid = d(tuesday.totalCash).minus(cashAtEntry);
    // The settlement price is on ES's tick grid: entry + variation / 50.
    const settlement = d(entry).plus(paid.dividedBy(50));
    expect(settlement.dividedBy('0.25').isInteger()).toBe(true);
    expect(paid.isZero()).toBe(false);
    const [pos] = await h.broker.getPositions('DU1234567');
    expect(pos?.avgCost).toBeCloseTo(entry * 50 + 2.25, 6);
    // Net liquidation = cash + the P&L since the settlement.
    expect(tuesday.netLiquidation).toBeCloseTo(d(tuesday.totalCash).plus(d(pos?.marketPrice as number).minus(settlement).times(50)).toNumber(), 1);
    await h.restart(0);
    expect((await h.broker.getAccountSummary('DU1234567')).totalCash).toBe(tuesday.totalCash);
  });
});

describe('settlement days follow CME\'s calendar', () => {
  // Only the schedule matters here: ES's Globex regular session closes 16:00 ET.
  const es = { schedule: { kind: 'globex', rthOpen: 570, rthClose: 960 } } as unknown as Instrument;
  const last = (iso: string, mode?: 'real' | 'always-open') => new Date(lastDailySettlement(es, Date.parse(iso), mode)).toISOString();

  it('a normal weekday settles at the regular close, and the weekend carries Friday\'s', () => {
    expect(last('2026-01-06T22:00:00.000Z')).toBe('2026-01-06T21:00:00.000Z');
    expect(last('2026-01-06T20:59:00.000Z')).toBe('2026-01-05T21:00:00.000Z');
    expect(last('2026-01-11T12:00:00.000Z')).toBe('2026-01-09T21:00:00.000Z');
  });

  it('a holiday whose session only halts early has no settlement: its trades clear with the next business day', () => {
    // Martin Luther King, Jr. Day 2026 (Monday 19 January): Friday's settlement still stands that evening.
    expect(last('2026-01-19T23:00:00.000Z')).toBe('2026-01-16T21:00:00.000Z');
    // Thanksgiving 2026 (Thursday 26 November): Wednesday's stands.
    expect(last('2026-11-26T23:00:00.000Z')).toBe('2026-11-25T21:00:00.000Z');
  });

  it('an early-close day settles at its early close; a full closure has none', () => {
    // The day after Thanksgiving: CME equity Globex closes 12:15 CT (13:15 ET, 18:15 UTC).
    expect(last('2026-11-27T18:14:00.000Z')).toBe('2026-11-25T21:00:00.000Z');
    expect(last('2026-11-27T18:15:00.000Z')).toBe('2026-11-27T18:15:00.000Z');
    // Good Friday 2026 (3 April): closed; Thursday's settlement (16:00 EDT, 20:00 UTC) stands.
    expect(last('2026-04-03T22:00:00.000Z')).toBe('2026-04-02T20:00:00.000Z');
    expect(settlementMinute(es, Math.floor(Date.parse('2026-04-03T12:00:00.000Z') / 86_400_000))).toBeNull();
  });

  it('with always-open sessions (the demo) every weekday settles at the regular close', () => {
    expect(last('2026-11-26T23:00:00.000Z', 'always-open')).toBe('2026-11-26T21:00:00.000Z');
  });
});
