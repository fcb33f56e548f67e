/**
 * The initial-margin check an order meets when it is placed (MarginCheck.admissionProblem) gives the answer
 * of IBKR's rule over the whole account valued again after the order (buyingPowerProblem over project()),
 * for every account and order; a stock order that certainly passes is let through without that valuation
 * (stockFillCannotExhaust), which must never say "passes" where the full check refuses.
 */
import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import type { OrderSpec } from '../../core/models.js';
import { Catalogue, type Instrument } from './catalogue.js';
import { Ledger } from './ledger.js';
import { buyingPowerProblem, MarginCheck, stockFillCannotExhaust } from './margin.js';
import { SimMarketData } from './market-data.js';
import { SimState } from './state.js';
import { AccountValuer } from './valuation.js';
import { seeded } from '../../testing/seeded.js';

const cat = new Catalogue();
const listed = (symbol: string): Instrument => {
  const inst = cat.listedBySymbol(symbol)[0];
  if (!inst) throw new Error(`${symbol} is not listed`);
  return inst;
};

/** A simulator on a hand-driven clock and a seeded random source (with `pick`, one of a list), for the seeded runs below. */
function seededRun(seed: number) {
  const random = seeded(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const clock = new ManualClock('2026-01-05T15:00:00.000Z');
  const sim = new SimState({ dataDir: '/nonexistent', seed: 42, session: 'always-open', startingCash: 0, financing: false, clock });
  return { random, pick, clock, sim, prices: new SimMarketData(sim) };
}

describe('the initial-margin check of an order being placed', () => {
  it('answers as the full check over the account valued after the order, for 600 accounts and orders', () => {
    const { random, pick, clock, sim, prices } = seededRun(18);
    let fast = 0;
    let refused = 0;
    for (let i = 0; i < 600; i++) {
      clock.advance(1000 + Math.floor(random() * 5000));
      const t = clock.now();
      const account = new AccountValuer(sim, prices);
      // An account with some cash, long and short stock, sometimes a future or an FX position, bought at the touch.
      const ledger = Ledger.fresh(pick([2_000, 25_000, 100_000, 1_000_000, 50_000_000]));
      for (let k = Math.floor(random() * 4); k > 0; k--) {
        const symbol = pick(['AAPL', 'MSFT', 'TSLA', 'INTC', 'SPY', 'ES', 'EUR.USD']);
        const inst = symbol === 'ES' ? cat.futuresListed('ES', t)[0] : listed(symbol);
        if (!inst) throw new Error('ES has no front month');
        const touch = sim.market.touch(inst, t);
        const quantity = inst.cls === 'fx' ? pick([10_000, 100_000]) : inst.cls === 'future' ? pick([1, 2]) : pick([10, 100, 1_000]);
        ledger.applyFill({ contract: inst.contract, cls: inst.cls, side: pick(['BUY', 'SELL'] as const), quantity: new Decimal(quantity), price: new Decimal(inst.cls === 'fx' ? touch.mid : touch.last), fxRate: new Decimal(prices.fxRate(inst.contract.currency, t)), commission: new Decimal(1), time: new Date(t).toISOString() });
      }
      account.load({ totals: ledger.totals, positions: ledger.allPositions() });
      const margin = new MarginCheck(sim, prices, account);
      // A stock order of any size, at the touch, through it, or away from it.
      const inst = listed(pick(['AAPL', 'MSFT', 'TSLA', 'INTC', 'SPY']));
      const action = pick(['BUY', 'SELL'] as const);
      const quantity = pick([1, 10, 100, 1_000, 10_000, 100_000]);
      const touch = sim.market.touch(inst, t);
      const price = Number(((action === 'BUY' ? touch.ask : touch.bid) * pick([1, 1, 0.9, 1.1])).toFixed(2));
      const spec = { symbol: inst.contract.symbol, securityType: 'STK', action, quantity, orderType: 'LMT', limitPrice: price, timeInForce: 'DAY', outsideRth: false } as OrderSpec;
      const { before, after, base } = margin.project(inst, spec, price, t);
      const full = buyingPowerProblem(before, after, base);
      // How often the shortcut answered (the clone made for the full valuation is counted).
      const clone = account.ledger.clone.bind(account.ledger);
      let clones = 0;
      account.ledger.clone = () => ((clones += 1), clone());
      expect(margin.admissionProblem(inst, spec, price, t), `case ${i}: ${action} ${quantity} ${inst.contract.symbol} @ ${price}`).toBe(full);
      if (clones === 0) fast += 1;
      if (full !== null) refused += 1;
    }
    // Both answers occur, and most orders in accounts that can afford them skip the second valuation.
    expect(refused).toBeGreaterThan(50);
    expect(fast).toBeGreaterThan(150);
  });
});

describe('the admission check after the fills of a turn (AccountValuer.availableFundsAtMost)', () => {
  it('uses a floor never above the available funds, and answers as the full check, over 300 seeded turns', () => {
    const { random, pick, clock, sim, prices } = seededRun(1818);
    let floored = 0;
    let refused = 0;
    for (let turn = 0; turn < 300; turn++) {
      clock.advance(1000 + Math.floor(random() * 5000));
      const account = new AccountValuer(sim, prices);
      const ledger = Ledger.fresh(pick([5_000, 25_000, 100_000, 1_000_000]));
      for (let k = Math.floor(random() * 3); k > 0; k--) {
        const inst = listed(pick(['AAPL', 'MSFT', 'SPY', 'EUR.USD']));
        const t = clock.now();
        const touch = sim.market.touch(inst, t);
        ledger.applyFill({ contract: inst.contract, cls: inst.cls, side: pick(['BUY', 'SELL'] as const), quantity: new Decimal(inst.cls === 'fx' ? 10_000 : pick([10, 100])), price: new Decimal(inst.cls === 'fx' ? touch.mid : touch.last), fxRate: new Decimal(prices.fxRate(inst.contract.currency, t)), commission: new Decimal(1), time: new Date(t).toISOString() });
      }
      account.load({ totals: ledger.totals, positions: ledger.allPositions() });
      const margin = new MarginCheck(sim, prices, account);
      account.valuation();
      // The turn's orders: each checked, then filled (a fill now and then lands in the next second, or is an FX trade).
      for (let i = 0; i < 8; i++) {
        if (random() < 0.1) clock.advance(Math.floor(random() * 1500));
        const t = clock.now();
        const inst = listed(pick(['AAPL', 'MSFT', 'TSLA', 'SPY', 'AAPL', 'MSFT', 'EUR.USD']));
        const touch = sim.market.touch(inst, t);
        const action = pick(['BUY', 'SELL'] as const);
        const quantity = inst.cls === 'fx' ? 10_000 : pick([1, 10, 100, 1_000, 5_000]);
        const price = inst.cls === 'fx' ? touch.mid : Number(((action === 'BUY' ? touch.ask : touch.bid) * pick([1, 1, 0.95, 1.05])).toFixed(2));
        // The same account valued afresh: what the floor must never exceed, and the full check's answer.
        const fresh = new AccountValuer(sim, prices);
        fresh.load({ totals: account.ledger.totals, positions: account.ledger.allPositions() });
        const funds = fresh.valuation().availableFunds;
        const atMost = account.availableFundsAtMost();
        expect(atMost.lte(funds), `turn ${turn} order ${i}: ${atMost.toString()} > ${funds.toString()}`).toBe(true);
        if (!atMost.eq(funds)) floored += 1;
        if (inst.cls === 'equity') {
          const spec = { symbol: inst.contract.symbol, securityType: 'STK', action, quantity, orderType: 'LMT', limitPrice: price, timeInForce: 'DAY', outsideRth: false } as OrderSpec;
          const { before, after, base } = new MarginCheck(sim, prices, fresh).project(inst, spec, price, t);
          const full = buyingPowerProblem(before, after, base);
          expect(margin.admissionProblem(inst, spec, price, t), `turn ${turn} order ${i}`).toBe(full);
          if (full !== null) {
            refused += 1;
            continue;
          }
        }
        account.applyFill({ contract: inst.contract, cls: inst.cls, side: action, quantity: new Decimal(quantity), price: new Decimal(price), fxRate: new Decimal(prices.fxRate(inst.contract.currency, t)), commission: new Decimal(pick([1, 1.25, 5])), time: new Date(t).toISOString() });
      }
    }
    // The floor answered for many checks, and orders were refused too.
    expect(floored).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(20);
  });
});

describe('stockFillCannotExhaust', () => {
  const d = (n: number): Decimal => new Decimal(n);
  const fill = { quantity: d(100), price: d(101), multiplier: d(1), fx: d(1), mark: d(100), initialRate: d(0.5), commissionInBase: d(1) };
  // Worst fall of available funds: 100 x (|100 - 101| + 100 x 0.5) + 1 = 5,101; twice that must be there.
  it('passes with twice the worst fall of available funds available, not a cent less', () => {
    expect(stockFillCannotExhaust(d(10_202), fill)).toBe(true);
    expect(stockFillCannotExhaust(d(10_201.99), fill)).toBe(false);
  });

  it('counts the gap between price and mark either way, the multiplier, the rate and the commission', () => {
    expect(stockFillCannotExhaust(d(10_202), { ...fill, price: d(99) })).toBe(true);
    expect(stockFillCannotExhaust(d(10_202), { ...fill, price: d(98) })).toBe(false);
    expect(stockFillCannotExhaust(d(10_202), { ...fill, multiplier: d(2) })).toBe(false);
    expect(stockFillCannotExhaust(d(10_202), { ...fill, fx: d(1.01) })).toBe(false);
    expect(stockFillCannotExhaust(d(10_202), { ...fill, commissionInBase: d(2) })).toBe(false);
    expect(stockFillCannotExhaust(d(-1), { ...fill, quantity: d(0), commissionInBase: d(0) })).toBe(false);
  });
});

describe('Ledger.holdsOptions (the shortcut is for accounts without options, whose margin shares can change)', () => {
  it('is true only while an option position is open', () => {
    const aapl = listed('AAPL');
    const option = { ...aapl.contract, conId: 999_001, securityType: 'OPT' as const, right: 'C' as const, strike: 240, expiry: '2026-01-16', multiplier: 100 };
    const ledger = Ledger.fresh(100_000);
    const fill = (contract: typeof aapl.contract, cls: Instrument['cls'], side: 'BUY' | 'SELL') => ledger.applyFill({ contract, cls, side, quantity: new Decimal(1), price: new Decimal(2), fxRate: new Decimal(1), commission: new Decimal(1), time: '2026-01-05T15:00:00.000Z' });
    fill(aapl.contract, 'equity', 'BUY');
    expect(ledger.holdsOptions()).toBe(false);
    fill(option, 'option', 'SELL');
    expect(ledger.holdsOptions()).toBe(true);
    fill(option, 'option', 'BUY');
    expect(ledger.holdsOptions()).toBe(false);
  });
});
