import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decimal } from 'decimal.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { toCents } from '../../core/money.js';
import type { Fill } from '../../core/models.js';
import { Catalogue, type Instrument } from './catalogue.js';
import { Ledger } from './ledger.js';
import { SimMarketData } from './market-data.js';
import { SimState } from './state.js';
import { SimStore } from './store.js';
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

describe('the reports made from a valuation (summary, positions, daily P&L), kept with it', () => {
  let dir: string | null = null;
  let store: SimStore | null = null;
  afterEach(() => {
    store?.close();
    store = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  /** An account on a real sim.db, trading at the touch: fills go to the ledger, the store and today's fills, as settlement.ts books them. */
  function tradingAccount(clock: ManualClock) {
    dir = mkdtempSync(join(tmpdir(), 'sim-reports-'));
    const sim = new SimState({ dataDir: dir, seed: 42, session: 'always-open', startingCash: 1_000_000, financing: false, clock });
    store = new SimStore(dir);
    sim.store = store;
    sim.connection = 'connected';
    const prices = new SimMarketData(sim);
    const account = new AccountValuer(sim, prices);
    account.load(store.loadAccount(1_000_000));
    let seq = 0;
    const trade = (symbol: string, side: 'BUY' | 'SELL', quantity: number): void => {
      const inst = listed(symbol);
      const t = clock.now();
      const touch = sim.market.touch(inst, t);
      const price = side === 'BUY' ? touch.ask : touch.bid;
      const fx = prices.fxRate(inst.contract.currency, t);
      const time = new Date(t).toISOString();
      const effect = account.applyFill({ contract: inst.contract, cls: inst.cls, side, quantity: new Decimal(quantity), price: new Decimal(price), fxRate: new Decimal(fx), commission: new Decimal(1), time });
      seq += 1;
      const fill: Fill = { execId: `e.${seq}`, orderId: String(seq), time, side, quantity, price, commission: 1, commissionCurrency: 'USD', realizedPnl: effect.realizedPnl ? toCents(effect.realizedPnl) : null, exchange: 'SMART' };
      store?.addFill(fill, inst.contract.conId, sim.accountId);
      account.fillCommitted(fill, inst.contract.conId, sim.accountId);
    };
    /** The same account loaded afresh (nothing remembered): what every report must equal. */
    const fresh = (): AccountValuer => {
      const other = new AccountValuer(sim, prices);
      other.load({ totals: account.ledger.totals, positions: account.ledger.allPositions() });
      return other;
    };
    return { account, trade, fresh, accountId: sim.accountId };
  }

  const reports = async (a: AccountValuer, accountId: string) => JSON.stringify([await a.getAccountSummary(accountId), await a.getPositions(accountId), await a.getPnl(accountId)]);

  it('are at every instant what the account loaded afresh reports, through fills, positions traded flat, price moves and a new day', async () => {
    const clock = new ManualClock('2026-01-05T15:00:00.000Z');
    const { account, trade, fresh, accountId } = tradingAccount(clock);
    // 50 orders a second for three seconds, trading now and then (MSFT is bought and sold flat: a row the valuation does
    // not mark), then jumps of minutes and hours, into the next New York day and past its open.
    const trades = new Map<number, () => void>([
      [0, () => trade('AAPL', 'BUY', 100)],
      [10, () => trade('MSFT', 'BUY', 50)],
      [60, () => trade('EUR.USD', 'BUY', 20_000)],
      [90, () => trade('AAPL', 'SELL', 30)],
      [120, () => trade('MSFT', 'SELL', 50)],
    ]);
    const steps = [...Array.from({ length: 150 }, () => 20), 60_000, 3_600_000, 7, 993, 86_400_000, 20, 20];
    for (const [i, ms] of steps.entries()) {
      trades.get(i)?.();
      // The loss check's P&L right after the fill, then the next order's assessment a few milliseconds later.
      expect(await reports(account, accountId)).toBe(await reports(fresh(), accountId));
      clock.advance(Math.min(ms, 3));
      expect(await reports(account, accountId)).toBe(await reports(fresh(), accountId));
      if (ms > 3) clock.advance(ms - 3);
    }
  });

  it('are copies: what a caller changes in one is not in the next', async () => {
    const clock = new ManualClock('2026-01-05T15:00:00.000Z');
    const { account, trade, fresh, accountId } = tradingAccount(clock);
    trade('AAPL', 'BUY', 100);
    const [summary, positions, pnl] = [await account.getAccountSummary(accountId), await account.getPositions(accountId), await account.getPnl(accountId)];
    summary.netLiquidation = -1;
    summary.cashBalances?.splice(0);
    (positions[0] ?? { quantity: 0 }).quantity = -1;
    pnl.dailyPnl = -1;
    (pnl.bySymbol[0] ?? { position: 0 }).position = -1;
    expect(await reports(account, accountId)).toBe(await reports(fresh(), accountId));
  });
});
