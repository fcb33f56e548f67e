/**
 * Conservation: the account's worth (cash in every currency plus positions at
 * their marks, in USD) changes through an event only by what is itemised —
 * commissions and fees — when trades happen at the mark; daily futures
 * settlements move value between cash and open P&L without changing it; FX
 * trades move both currencies. (P&L is the marks moving, which this holds still.)
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import type { Contract } from '../../core/models.js';
import type { InstrumentClass } from './catalogue.js';
import { Ledger, type LedgerPosition, type Mark } from './ledger.js';

const INSTRUMENTS: Array<{ contract: Contract; cls: InstrumentClass; price: string }> = [
  { contract: { conId: 265598, symbol: 'AAPL', securityType: 'STK', exchange: 'SMART', currency: 'USD', multiplier: 1, minTick: 0.01 }, cls: 'equity', price: '231.17' },
  { contract: { conId: 495002603, symbol: 'ES', securityType: 'FUT', exchange: 'CME', currency: 'USD', multiplier: 50, minTick: 0.25, expiry: '2026-03-20' }, cls: 'future', price: '6012.25' },
  { contract: { conId: 12087792, symbol: 'EUR.USD', securityType: 'CASH', exchange: 'IDEALPRO', currency: 'USD', multiplier: 1, minTick: 0.00005 }, cls: 'fx', price: '1.08315' },
  { contract: { conId: 15016059, symbol: 'USD.JPY', securityType: 'CASH', exchange: 'IDEALPRO', currency: 'JPY', multiplier: 1, minTick: 0.005 }, cls: 'fx', price: '153.875' },
];
const priceOf = (conId: number): Decimal => new Decimal(INSTRUMENTS.find((i) => i.contract.conId === conId)?.price ?? 0);
// The rates the marks imply: EUR from EUR.USD, JPY from USD.JPY.
const RATES: Record<string, Decimal> = { USD: new Decimal(1), EUR: priceOf(12087792), JPY: new Decimal(1).dividedBy(priceOf(15016059)) };
const marks = (p: LedgerPosition): Mark => ({ price: priceOf(p.conId).toNumber(), fx: (RATES[p.contract.currency] ?? new Decimal(1)).toNumber(), margin: {} });
const rateOf = (currency: string): number => (RATES[currency] ?? new Decimal(1)).toNumber();

/** Worth computed independently of the ledger's own net liquidation: every cash balance at its rate plus positions at their marks. */
function worth(l: Ledger): Decimal {
  const v = l.valuation(marks, rateOf);
  let total = v.cashBalances.reduce((acc, b) => acc.plus(b.amount.times(RATES[b.currency] ?? 1)), new Decimal(0));
  for (const p of l.openPositions()) {
    const mark = priceOf(p.conId).times(p.contract.multiplier ?? 1).times(p.quantity);
    const fx = RATES[p.contract.currency] ?? new Decimal(1);
    // FX positions live in the cash balances; futures hold in the position only what cash has not been paid yet.
    if (p.cls === 'future') total = total.plus(mark.minus(p.grossCost).minus(p.variationSettled ?? 0).times(fx));
    else if (p.cls !== 'fx') total = total.plus(mark.times(fx));
  }
  return total;
}

const event = fc.oneof(
  fc.record({ kind: fc.constant('fill' as const), i: fc.integer({ min: 0, max: INSTRUMENTS.length - 1 }), buy: fc.boolean(), qty: fc.integer({ min: 1, max: 2000 }), cents: fc.integer({ min: 0, max: 500 }) }),
  fc.record({ kind: fc.constant('settle' as const), i: fc.constant(1), buy: fc.constant(true), qty: fc.constant(0), cents: fc.constant(0) }),
);

describe('cash + positions at mark is conserved except for what is itemised', () => {
  it('through any sequence of fills at the mark (stocks, futures, FX in two currencies) and futures settlements', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 40 }), (events) => {
        const l = Ledger.fresh(1_000_000);
        let charged = new Decimal(0);
        const start = worth(l);
        for (const e of events) {
          const inst = INSTRUMENTS[e.i];
          if (!inst) continue;
          const before = worth(l);
          if (e.kind === 'settle') {
            l.settleVariation(inst.contract.conId, priceOf(inst.contract.conId), 'settled');
            expect(worth(l).toString()).toBe(before.toString());
            continue;
          }
          const commission = new Decimal(e.cents).dividedBy(100);
          const fees = commission.dividedBy(4).toDecimalPlaces(2);
          const qty = inst.cls === 'fx' ? e.qty * 1000 : e.qty;
          l.applyFill({ contract: inst.contract, cls: inst.cls, side: e.buy ? 'BUY' : 'SELL', quantity: new Decimal(qty), price: priceOf(inst.contract.conId), fxRate: RATES[inst.contract.currency] ?? new Decimal(1), commission, fees, time: '2026-01-05T15:00:00.000Z' });
          charged = charged.plus(commission);
          expect(worth(l).minus(before).toDecimalPlaces(9).toString()).toBe(commission.neg().toDecimalPlaces(9).toString());
        }
        // Itemised: the commissions (fees included, and listed apart) are exactly what the account lost.
        expect(l.totals.commissions.toString()).toBe(charged.toString());
        expect(start.minus(worth(l)).toDecimalPlaces(9).toString()).toBe(charged.toDecimalPlaces(9).toString());
        expect(l.valuation(marks, rateOf).netLiquidation.toDecimalPlaces(9).toString()).toBe(worth(l).toDecimalPlaces(9).toString());
      }),
      { numRuns: 150 },
    );
  });
});
