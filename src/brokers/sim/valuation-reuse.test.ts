import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { Catalogue, type Instrument } from './catalogue.js';
import { Ledger } from './ledger.js';
import { SimMarketData } from './market-data.js';
import { SimState } from './state.js';
import { AccountValuer } from './valuation.js';

const cat = new Catalogue();
const listed = (symbol: string): Instrument => {
  const inst = cat.listedBySymbol(symbol)[0];
  if (!inst) throw new Error(`${symbol} is not listed`);
  return inst;
};

/** An account holding AAPL, EUR.USD and USD.JPY, with euros and yen in cash: marks that move each second, and FX rates. */
function valuer(clock: ManualClock): AccountValuer {
  const sim = new SimState({ dataDir: '/nonexistent', seed: 42, session: 'always-open', startingCash: 1_000_000, financing: false, clock });
  const account = new AccountValuer(sim, new SimMarketData(sim));
  const ledger = Ledger.fresh(1_000_000);
  const fill = (inst: Instrument, quantity: number, price: number, fxRate = 1) =>
    ledger.applyFill({ contract: inst.contract, cls: inst.cls, side: 'BUY', quantity: new Decimal(quantity), price: new Decimal(price), fxRate: new Decimal(fxRate), commission: new Decimal(1), time: new Date(clock.now()).toISOString() });
  fill(listed('AAPL'), 100, 250);
  fill(listed('EUR.USD'), 20_000, 1.1);
  fill(listed('USD.JPY'), 10_000, 150, 1 / 150);
  account.load({ totals: ledger.totals, positions: ledger.allPositions() });
  return account;
}

describe('the account valuation, remembered while its marks stand still', () => {
  it('is at every instant what valuing the ledger afresh at that instant gives', () => {
    const clock = new ManualClock('2026-01-05T15:00:00.000Z');
    const account = valuer(clock);
    let reused = 0;
    let last = account.valuation();
    // 50 orders a second for four seconds, then jumps of minutes and hours.
    const steps = [...Array.from({ length: 200 }, () => 20), 60_000, 3_600_000, 7, 993, 86_400_000];
    for (const ms of steps) {
      clock.advance(ms);
      const t = clock.now();
      const remembered = account.valuation();
      const fresh = account.ledger.valuation(account.markOf(t), account.rateOf(t));
      expect(JSON.stringify(remembered)).toBe(JSON.stringify(fresh));
      if (remembered === last) reused += 1;
      last = remembered;
    }
    // Within a second the marks stand still and the valuation is reused; across seconds it is not.
    expect(reused).toBeGreaterThan(100);
    expect(reused).toBeLessThan(steps.length - 4);
  });

  it('is made again when the ledger changes, at the same instant', () => {
    const clock = new ManualClock('2026-01-05T15:00:00.000Z');
    const account = valuer(clock);
    const before = account.valuation();
    const aapl = listed('AAPL');
    account.applyFill({ contract: aapl.contract, cls: aapl.cls, side: 'SELL', quantity: new Decimal(40), price: new Decimal(251), fxRate: new Decimal(1), commission: new Decimal(1), time: new Date(clock.now()).toISOString() });
    const after = account.valuation();
    expect(after).not.toBe(before);
    expect(after.positions.find((p) => p.position.conId === aapl.contract.conId)?.position.quantity.toNumber()).toBe(60);
  });
});
