/**
 * Conservation: the account's worth (cash in every currency plus positions at
 * their marks, in the base currency) changes through an event only by what is
 * itemised — commissions and fees, interest and borrow fees — when trades
 * happen at the mark; daily futures settlements move value between cash and
 * open P&L without changing it; FX trades move both currencies. (P&L is the
 * marks moving, which this holds still.) It holds in a USD account and in EUR
 * and JPY ones, where commissions are paid in USD (or in the base, for FX)
 * and interest in any currency.
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
// USD per unit, as the marks imply: EUR from EUR.USD, JPY from USD.JPY.
const USD_RATES: Record<string, Decimal> = { USD: new Decimal(1), EUR: priceOf(12087792), JPY: new Decimal(1).dividedBy(priceOf(15016059)) };
const CURRENCIES = ['USD', 'EUR', 'JPY'] as const;

/** Base currency per unit of each currency, as the simulator derives it: the rate to USD over the base's. */
function ratesFor(base: string): Record<string, Decimal> {
  const baseUsd = USD_RATES[base] ?? new Decimal(1);
  return Object.fromEntries(Object.entries(USD_RATES).map(([c, r]) => [c, r.dividedBy(baseUsd)]));
}

function worthIn(RATES: Record<string, Decimal>) {
  const marks = (p: LedgerPosition): Mark => ({ price: priceOf(p.conId).toNumber(), fx: (RATES[p.contract.currency] ?? new Decimal(1)).toNumber(), margin: {} });
  const rateOf = (currency: string): number => (RATES[currency] ?? new Decimal(1)).toNumber();
  return { marks, rateOf, worth: (l: Ledger) => worth(l, RATES, marks, rateOf) };
}

/** Worth computed independently of the ledger's own net liquidation: every cash balance at its rate plus positions at their marks. */
function worth(l: Ledger, RATES: Record<string, Decimal>, marks: (p: LedgerPosition) => Mark, rateOf: (c: string) => number): Decimal {
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

/** Equal to a millionth of a unit (far below a cent): rates such as 1 / 153.875 do not terminate. */
function expectClose(actual: Decimal, expected: Decimal): void {
  expect(actual.minus(expected).abs().lt('0.000001'), `${actual.toString()} vs ${expected.toString()}`).toBe(true);
}

const event = fc.oneof(
  fc.record({ kind: fc.constant('fill' as const), i: fc.integer({ min: 0, max: INSTRUMENTS.length - 1 }), buy: fc.boolean(), qty: fc.integer({ min: 1, max: 2000 }), cents: fc.integer({ min: 0, max: 500 }), c: fc.constant(0) }),
  fc.record({ kind: fc.constant('settle' as const), i: fc.constant(1), buy: fc.constant(true), qty: fc.constant(0), cents: fc.constant(0), c: fc.constant(0) }),
  // A day's interest or borrow fee in any currency (negative: paid).
  fc.record({ kind: fc.constant('interest' as const), i: fc.constant(0), buy: fc.boolean(), qty: fc.constant(0), cents: fc.integer({ min: 0, max: 500_000 }), c: fc.integer({ min: 0, max: CURRENCIES.length - 1 }) }),
);

describe('cash + positions at mark is conserved except for what is itemised', () => {
  for (const base of CURRENCIES) {
    it(`in a ${base} account, through any sequence of fills at the mark (stocks, futures, FX in two currencies), futures settlements and interest`, () => {
      const RATES = ratesFor(base);
      const { marks, rateOf, worth } = worthIn(RATES);
      fc.assert(
        fc.property(fc.array(event, { minLength: 1, maxLength: 40 }), (events) => {
          const l = Ledger.fresh(1_000_000, base);
          let charged = new Decimal(0);
          let interest = new Decimal(0);
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
            if (e.kind === 'interest') {
              const currency = CURRENCIES[e.c] ?? 'USD';
              const amount = new Decimal(e.cents).dividedBy(100).times(e.buy ? 1 : -1);
              const rate = RATES[currency] ?? new Decimal(1);
              l.bookInterest(currency, amount, rate);
              interest = interest.plus(amount.times(rate));
              expectClose(worth(l).minus(before), amount.times(rate));
              continue;
            }
            // IBKR charges US products in USD and FX in the account's base currency (charges.ts).
            const commissionCurrency = inst.cls === 'fx' ? base : 'USD';
            const commissionRate = RATES[commissionCurrency] ?? new Decimal(1);
            const commission = new Decimal(e.cents).dividedBy(100);
            const fees = commission.dividedBy(4).toDecimalPlaces(2);
            const qty = inst.cls === 'fx' ? e.qty * 1000 : e.qty;
            l.applyFill({
              contract: inst.contract, cls: inst.cls, side: e.buy ? 'BUY' : 'SELL', quantity: new Decimal(qty), price: priceOf(inst.contract.conId),
              fxRate: RATES[inst.contract.currency] ?? new Decimal(1), commission, fees, commissionCurrency, commissionRate, time: '2026-01-05T15:00:00.000Z',
            });
            const inBase = commission.times(commissionRate);
            charged = charged.plus(inBase);
            expectClose(worth(l).minus(before), inBase.neg());
          }
          // Itemised: the commissions (fees included, and listed apart) and the interest are exactly what the account lost or gained.
          expectClose(l.totals.commissions, charged);
          expectClose((l.totals.interest ?? new Decimal(0)), interest);
          expectClose(start.minus(worth(l)).plus(interest), charged);
          expectClose(l.valuation(marks, rateOf).netLiquidation, worth(l));
        }),
        { numRuns: 100 },
      );
    });
  }

  it('realised + unrealised P&L in a non-USD account is the trades at the mark less the commissions in base', () => {
    const RATES = ratesFor('EUR');
    const { marks, rateOf } = worthIn(RATES);
    const aapl = INSTRUMENTS[0];
    if (!aapl) throw new Error('no AAPL');
    const l = Ledger.fresh(1_000_000, 'EUR');
    const usd = RATES.USD ?? new Decimal(1);
    const fill = (side: 'BUY' | 'SELL', qty: number, price: string) =>
      l.applyFill({ contract: aapl.contract, cls: aapl.cls, side, quantity: new Decimal(qty), price: new Decimal(price), fxRate: usd, commission: new Decimal(1), commissionCurrency: 'USD', time: '2026-01-05T15:00:00.000Z' });
    fill('BUY', 100, '200');
    const closed = fill('SELL', 40, '210');
    // 40 x 10 USD gained, less the 40% of the opening commission the closed part carries and the closing one, all in EUR.
    expectClose(closed.realizedPnl ?? new Decimal(NaN), new Decimal(400).minus('0.4').minus(1).times(usd));
    const v = l.valuation(marks, rateOf);
    const [pv] = v.positions;
    // The 60 left: marked at 231.17, less the rest of the opening commission.
    expectClose(pv?.unrealized ?? new Decimal(NaN), new Decimal('231.17').minus(200).times(60).minus('0.6').times(usd));
    expect(l.cashIn('USD').toString()).toBe(new Decimal(-20_000).minus(1).plus(8_400).minus(1).toString());
    expect(l.cashIn('EUR').toString()).toBe('1000000');
  });
});
