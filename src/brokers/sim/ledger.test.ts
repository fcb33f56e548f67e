import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import type { Contract } from '../../core/models.js';
import type { InstrumentClass } from './catalogue.js';
import { Ledger, type LedgerPosition, type Mark } from './ledger.js';

const STOCK: Contract = { conId: 265598, symbol: 'AAPL', securityType: 'STK', exchange: 'SMART', currency: 'USD', multiplier: 1, minTick: 0.01 };
const OPTION: Contract = { conId: 700000001, symbol: 'AAPL', securityType: 'OPT', exchange: 'SMART', currency: 'USD', multiplier: 100, minTick: 0.01, expiry: '2026-01-16', strike: 230, right: 'C' };
const FUTURE: Contract = { conId: 495002603, symbol: 'ES', securityType: 'FUT', exchange: 'CME', currency: 'USD', multiplier: 50, minTick: 0.25, expiry: '2026-03-20' };
const CLASS: Record<number, InstrumentClass> = { [STOCK.conId]: 'equity', [OPTION.conId]: 'option', [FUTURE.conId]: 'future' };
const MARGIN: Record<number, Mark['margin']> = { [STOCK.conId]: { initialRate: 0.5, maintenanceRate: 0.25 }, [OPTION.conId]: {}, [FUTURE.conId]: { initialPerContract: 22000, maintenancePerContract: 20000 } };

const d = (v: Decimal.Value): Decimal => new Decimal(v);
const fill = (ledger: Ledger, contract: Contract, side: 'BUY' | 'SELL', quantity: number, price: Decimal.Value, commission: Decimal.Value) =>
  ledger.applyFill({ contract, cls: CLASS[contract.conId] ?? 'equity', side, quantity: d(quantity), price: d(price), fxRate: d(1), commission: d(commission), time: '2026-01-05T15:00:00.000Z' });
const marks = (prices: Record<number, number>) => (p: LedgerPosition): Mark => ({ price: prices[p.conId] ?? 0, fx: 1, margin: MARGIN[p.conId] ?? {}, underlyingPrice: 230 });

describe('IBKR average cost and realised P&L', () => {
  it('average cost includes the commission; a partial sale realises against it, net of its own commission', () => {
    const l = Ledger.fresh(100_000);
    fill(l, STOCK, 'BUY', 100, 100, 1);
    const v = l.valuation(marks({ [STOCK.conId]: 100 }));
    expect(v.positions[0]?.avgCost.toNumber()).toBe(100.01);
    expect(l.totals.cash.toNumber()).toBe(100_000 - 10_000 - 1);
    const sold = fill(l, STOCK, 'SELL', 50, 110, 1);
    // 50 x 110 - 1 - 50 x 100.01
    expect(sold.realizedPnl?.toNumber()).toBe(498.5);
    expect(l.position(STOCK.conId)?.quantity.toNumber()).toBe(50);
    expect(l.valuation(marks({ [STOCK.conId]: 110 })).positions[0]?.avgCost.toNumber()).toBe(100.01);
  });

  it('shorts and covers', () => {
    const l = Ledger.fresh(100_000);
    fill(l, STOCK, 'SELL', 10, 100, 1);
    expect(l.totals.cash.toNumber()).toBe(100_000 + 1000 - 1);
    const covered = fill(l, STOCK, 'BUY', 10, 90, 1);
    expect(covered.realizedPnl?.toNumber()).toBe(100 - 2);
    expect(l.openPositions()).toHaveLength(0);
    expect(l.totals.cash.toNumber()).toBe(100_000 + 100 - 2);
  });

  it('a fill through flat closes the position and opens the rest the other way', () => {
    const l = Ledger.fresh(100_000);
    fill(l, STOCK, 'BUY', 10, 100, 1);
    const through = fill(l, STOCK, 'SELL', 30, 105, 3);
    // Closing 10 realises 10 x 105 - 1 (the closing third of the commission) - 1001.
    expect(through.realizedPnl?.toNumber()).toBe(48);
    const pos = l.position(STOCK.conId);
    expect(pos?.quantity.toNumber()).toBe(-20);
    expect(pos?.grossCost.toNumber()).toBe(-2100);
    expect(pos?.commissionCost.toNumber()).toBe(2);
  });

  it('futures move cash only by commissions and realised P&L', () => {
    const l = Ledger.fresh(100_000);
    fill(l, FUTURE, 'BUY', 1, 6000, 0.85);
    expect(l.totals.cash.toNumber()).toBe(100_000 - 0.85);
    const v = l.valuation(marks({ [FUTURE.conId]: 6010 }));
    expect(v.netLiquidation.toNumber()).toBe(100_000 - 0.85 + 500);
    expect(v.initMargin.toNumber()).toBe(22_000);
    expect(v.grossPositionValue.toNumber()).toBe(0);
    const closed = fill(l, FUTURE, 'SELL', 1, 6010, 0.85);
    expect(closed.realizedPnl?.toNumber()).toBe(500 - 1.7);
    expect(l.totals.cash.toNumber()).toBe(100_000 + 500 - 1.7);
  });
});

describe('Reg T margin and account values', () => {
  it('50% initial, 25% maintenance on long stock; buying power is twice available funds (Reg T, overnight)', () => {
    const l = Ledger.fresh(100_000);
    fill(l, STOCK, 'BUY', 100, 100, 1);
    const v = l.valuation(marks({ [STOCK.conId]: 100 }));
    expect(v.grossPositionValue.toNumber()).toBe(10_000);
    expect(v.initMargin.toNumber()).toBe(5_000);
    expect(v.maintMargin.toNumber()).toBe(2_500);
    expect(v.netLiquidation.toNumber()).toBe(99_999);
    expect(v.availableFunds.toNumber()).toBe(94_999);
    expect(v.buyingPower.toNumber()).toBe(94_999 * 2);
    expect(v.unrealized.toNumber()).toBe(-1);
  });

  it('short stock keeps 30% maintenance; long options need their full premium', () => {
    const l = Ledger.fresh(100_000);
    fill(l, STOCK, 'SELL', 100, 100, 1);
    fill(l, OPTION, 'BUY', 2, 5, 1.3);
    const v = l.valuation(marks({ [STOCK.conId]: 100, [OPTION.conId]: 5 }));
    expect(v.maintMargin.toNumber()).toBe(3_000 + 1_000);
    expect(v.initMargin.toNumber()).toBe(5_000 + 1_000);
  });
});

// ---------------------------------------------------------------------------
// Properties from the issue
// ---------------------------------------------------------------------------

const CONTRACTS = [STOCK, OPTION, FUTURE];
const fillArb = fc.record({
  which: fc.integer({ min: 0, max: 2 }),
  side: fc.constantFrom<'BUY' | 'SELL'>('BUY', 'SELL'),
  quantity: fc.integer({ min: 1, max: 500 }),
  cents: fc.integer({ min: 1, max: 2_000_000 }),
  commissionCents: fc.integer({ min: 0, max: 500 }),
});

describe('ledger properties', () => {
  it('cash + positions at cost + commissions - realised gains is conserved across any sequence of fills', () => {
    fc.assert(
      fc.property(fc.array(fillArb, { maxLength: 60 }), (fills) => {
        const l = Ledger.fresh(1_000_000);
        for (const f of fills) {
          const c = CONTRACTS[f.which] as Contract;
          fill(l, c, f.side, f.quantity, d(f.cents).dividedBy(100), d(f.commissionCents).dividedBy(100));
          let atCost = new Decimal(0);
          for (const p of l.allPositions()) if (p.cls !== 'future') atCost = atCost.plus(p.grossCost);
          const conserved = l.totals.cash.plus(atCost).plus(l.totals.commissions).minus(l.totals.realizedGross);
          expect(conserved.minus(1_000_000).abs().toNumber()).toBeLessThan(1e-8);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a position's realised + unrealised P&L equals its fills valued at the mark, less commissions", () => {
    fc.assert(
      fc.property(fc.array(fillArb, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 2_000_000 }), (fills, markCents) => {
        const l = Ledger.fresh(1_000_000);
        const flows = new Map<number, { qty: Decimal; cash: Decimal }>();
        for (const f of fills) {
          const c = CONTRACTS[f.which] as Contract;
          const price = d(f.cents).dividedBy(100);
          const commission = d(f.commissionCents).dividedBy(100);
          fill(l, c, f.side, f.quantity, price, commission);
          const flow = flows.get(c.conId) ?? { qty: new Decimal(0), cash: new Decimal(0) };
          const signed = f.side === 'BUY' ? d(f.quantity) : d(-f.quantity);
          flow.qty = flow.qty.plus(signed);
          flow.cash = flow.cash.minus(signed.times(price).times(c.multiplier)).minus(commission);
          flows.set(c.conId, flow);
        }
        const mark = d(markCents).dividedBy(100).toNumber();
        const v = l.valuation(marks({ [STOCK.conId]: mark, [OPTION.conId]: mark, [FUTURE.conId]: mark }));
        for (const [conId, flow] of flows) {
          const c = CONTRACTS.find((x) => x.conId === conId) as Contract;
          const p = l.position(conId);
          const unrealized = v.positions.find((x) => x.position.conId === conId)?.unrealized ?? new Decimal(0);
          const expected = flow.cash.plus(flow.qty.times(mark).times(c.multiplier));
          expect(p?.quantity.eq(flow.qty)).toBe(true);
          expect((p?.realized ?? new Decimal(0)).plus(unrealized).minus(expected).abs().toNumber()).toBeLessThan(1e-6);
        }
      }),
      { numRuns: 300 },
    );
  });
});
