/**
 * The simulated account's base currency (SIM_BASE_CURRENCY): cash totals, P&L
 * and net liquidation are reported in it, at the simulator's own FX rates (a
 * rate to a non-USD base is the rate to USD over the base's rate to USD). It is
 * fixed in sim.db when the account is created: an account stays in the
 * currency it was created in, and a differing setting is refused.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import { OrderSpec, type Contract } from '../../core/models.js';
import { GatewayError } from '../../core/errors.js';
import { flush, makeSimHarness, placeSim, type SimHarness } from '../../testing/sim-harness.js';
import { SimStore } from './store.js';

const ACCOUNT = 'DU1234567';
const d = (v: Decimal.Value): Decimal => new Decimal(v);

describe('an account whose base currency is EUR', () => {
  let h: SimHarness | null = null;
  afterEach(async () => {
    await h?.cleanup();
    h = null;
  });

  const resolve = async (symbol: string, securityType: 'STK' | 'CASH'): Promise<Contract> => {
    if (!h) throw new Error('no harness');
    const [c] = await h.broker.resolveContracts({ symbol, securityType });
    if (!c) throw new Error(`${symbol} missing`);
    return c;
  };

  it('starts with its cash in EUR and reports in EUR', async () => {
    h = makeSimHarness({ baseCurrency: 'EUR' });
    await h.broker.connect();
    const s = await h.broker.getAccountSummary(ACCOUNT);
    expect(s.currency).toBe('EUR');
    expect(s.totalCash).toBe(1_000_000);
    expect(s.netLiquidation).toBe(1_000_000);
    expect(s.cashBalances?.map((b) => [b.currency, b.amount, b.rate])).toEqual([['EUR', 1_000_000, 1]]);
  });

  it('buying a USD stock leaves USD cash negative and net liquidation in EUR at the EUR.USD rate', async () => {
    h = makeSimHarness({ baseCurrency: 'EUR' });
    await h.broker.connect();
    const aapl = await resolve('AAPL', 'STK');
    expect(aapl.currency).toBe('USD');
    const ack = await placeSim(h.broker, aapl, { symbol: 'AAPL', action: 'BUY', quantity: 100, orderType: 'MKT' });
    expect(ack.status).toBe('FILLED');
    await flush();
    const order = await h.broker.getOrder(ack.orderId);
    const s = await h.broker.getAccountSummary(ACCOUNT);
    const usd = s.cashBalances?.find((b) => b.currency === 'USD');
    const eur = s.cashBalances?.find((b) => b.currency === 'EUR');
    // The stock and its commission are paid in USD, the currency IBKR charges them in: the USD balance
    // goes negative by the trade value plus the commission, and the EUR cash is untouched.
    const [fill] = (await h.broker.getExecutions()).filter((f) => f.orderId === ack.orderId);
    expect(fill?.commissionCurrency).toBe('USD');
    expect(fill?.commission).toBe(1);
    expect(usd?.amount).toBe(d(order?.avgFillPrice ?? 0).times(-100).minus(1).toDecimalPlaces(2).toNumber());
    expect(usd?.amount).toBeLessThan(0);
    // The USD balance's rate to EUR is the inverse of EUR.USD as the simulator quotes it.
    const eurusd = await h.broker.getQuote(await resolve('EUR.USD', 'CASH'));
    const mid = ((eurusd.bid ?? 0) + (eurusd.ask ?? 0)) / 2;
    expect(mid).toBeGreaterThan(0.5);
    expect(Math.abs((usd?.rate ?? 0) * mid - 1)).toBeLessThan(0.001);
    // Cash totals are every balance in EUR; net liquidation adds the shares, also translated into EUR.
    expect(eur?.amount).toBe(1_000_000);
    expect(s.totalCash).toBeCloseTo((eur?.amountInBase ?? 0) + (usd?.amountInBase ?? 0), 1);
    const [pos] = await h.broker.getPositions(ACCOUNT);
    const sharesInEur = d(pos?.marketPrice ?? 0).times(100).times(usd?.rate ?? 0);
    expect(Math.abs(s.netLiquidation - d(s.totalCash).plus(sharesInEur).toNumber())).toBeLessThan(1);
    // Conservation: buying moved value between cash and shares; only the commission and the spread left the account.
    expect(1_000_000 - s.netLiquidation).toBeGreaterThanOrEqual(0);
    expect(1_000_000 - s.netLiquidation).toBeLessThan(50);
    // The position carries the commission in EUR at the fill's rate: its unrealised P&L is the price move less that.
    expect(pos?.unrealizedPnl).toBeCloseTo(d(pos?.marketPrice ?? 0).minus(order?.avgFillPrice ?? 0).times(100).minus(1).times(usd?.rate ?? 0).toNumber(), 1);
  });

  it('selling the stock back books realised P&L in EUR net of both USD commissions at their fills\' rates', async () => {
    h = makeSimHarness({ baseCurrency: 'EUR' });
    await h.broker.connect();
    const aapl = await resolve('AAPL', 'STK');
    const buy = await placeSim(h.broker, aapl, { symbol: 'AAPL', action: 'BUY', quantity: 100, orderType: 'MKT' });
    await flush();
    const sell = await placeSim(h.broker, aapl, { symbol: 'AAPL', action: 'SELL', quantity: 100, orderType: 'MKT' });
    expect(sell.status).toBe('FILLED');
    await flush();
    const fills = await h.broker.getExecutions();
    const bought = fills.find((f) => f.orderId === buy.orderId);
    const sold = fills.find((f) => f.orderId === sell.orderId);
    expect(sold?.commissionCurrency).toBe('USD');
    const s = await h.broker.getAccountSummary(ACCOUNT);
    const usd = s.cashBalances?.find((b) => b.currency === 'USD');
    // Round trip in USD: what the sale brought in less what the purchase cost, less both commissions (sale fees included).
    const usdFlow = d(sold?.price ?? 0).minus(bought?.price ?? 0).times(100).minus(bought?.commission ?? 0).minus(sold?.commission ?? 0);
    expect(usd?.amount).toBe(usdFlow.toDecimalPlaces(2).toNumber());
    // The EUR balance never moved; the realised P&L is that USD flow in EUR (the clock holds still, so one rate).
    expect(s.cashBalances?.find((b) => b.currency === 'EUR')?.amount).toBe(1_000_000);
    expect(sold?.realizedPnl).toBeCloseTo(usdFlow.times(usd?.rate ?? 0).toNumber(), 1);
    expect(s.realizedPnl).toBeCloseTo(usdFlow.times(usd?.rate ?? 0).toNumber(), 1);
  });

  it('an FX trade\'s commission is charged in the base currency, converted from the USD schedule', async () => {
    h = makeSimHarness({ baseCurrency: 'EUR' });
    await h.broker.connect();
    const usdjpy = await resolve('USD.JPY', 'CASH');
    const ack = await placeSim(h.broker, usdjpy, { symbol: 'USD.JPY', securityType: 'CASH', action: 'BUY', quantity: 100_000, orderType: 'MKT' });
    expect(ack.status).toBe('FILLED');
    await flush();
    const [fill] = (await h.broker.getExecutions()).filter((f) => f.orderId === ack.orderId);
    expect(fill?.commissionCurrency).toBe('EUR');
    const s = await h.broker.getAccountSummary(ACCOUNT);
    const usdRate = s.cashBalances?.find((b) => b.currency === 'USD')?.rate ?? 0;
    // USD 2.00 minimum (0.2 bp of 100,000 USD is 0.20) in EUR at the fill's rate.
    expect(fill?.commission).toBe(d(2).times(usdRate).toDecimalPlaces(2).toNumber());
    expect(s.cashBalances?.find((b) => b.currency === 'EUR')?.amount).toBe(d(1_000_000).minus(fill?.commission ?? 0).toNumber());
    expect(s.cashBalances?.find((b) => b.currency === 'USD')?.amount).toBe(100_000);
    // The what-if estimate names the same currency.
    const estimate = await h.broker.whatIf(usdjpy, OrderSpec.parse({ symbol: 'USD.JPY', securityType: 'CASH', action: 'SELL', quantity: 100_000, orderType: 'MKT', timeInForce: 'DAY' }), ACCOUNT);
    expect(estimate.commissionCurrency).toBe('EUR');
  });

  it('keeps EUR after a restart, and a USD setting on the same sim.db is refused with CONFIG_INVALID', async () => {
    h = makeSimHarness({ baseCurrency: 'EUR' });
    await h.broker.connect();
    await h.restart(0);
    expect((await h.broker.getAccountSummary(ACCOUNT)).currency).toBe('EUR');
    await h.broker.close();
    // The broker refuses to open it in another currency, with the setting's error code, not a retryable connection error.
    const usdBroker = makeSimHarness({ baseCurrency: 'USD', dataDir: h.dataDir });
    await expect(usdBroker.broker.connect()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    const store = new SimStore(h.dataDir);
    try {
      expect(store.meta('base_currency')).toBe('EUR');
      let error: unknown = null;
      try {
        store.loadAccount(1_000_000, 'USD');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).code).toBe('CONFIG_INVALID');
      expect((error as GatewayError).message).toMatch(/SIM_BASE_CURRENCY=EUR.*sim reset/);
      // A reset starts afresh in the currency asked for.
      store.reset(500_000, 'USD');
      expect(store.loadAccount(500_000, 'USD').totals.base).toBe('USD');
    } finally {
      store.close();
    }
  });
});

describe('an account whose base currency is JPY', () => {
  it('pays an FX commission in whole yen and a stock commission in USD', async () => {
    const h = makeSimHarness({ baseCurrency: 'JPY' });
    try {
      await h.broker.connect();
      const [eurusd] = await h.broker.resolveContracts({ symbol: 'EUR.USD', securityType: 'CASH' });
      const [aapl] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
      const fx = await placeSim(h.broker, eurusd as Contract, { symbol: 'EUR.USD', securityType: 'CASH', action: 'BUY', quantity: 100_000, orderType: 'MKT' });
      const stock = await placeSim(h.broker, aapl as Contract, { symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'MKT' });
      await flush();
      const fills = await h.broker.getExecutions();
      const fxFill = fills.find((f) => f.orderId === fx.orderId);
      const stockFill = fills.find((f) => f.orderId === stock.orderId);
      expect(fxFill?.commissionCurrency).toBe('JPY');
      expect(Number.isInteger(fxFill?.commission)).toBe(true);
      // USD 2.00 minimum at about 150 yen to the dollar.
      expect(fxFill?.commission).toBeGreaterThan(250);
      expect(fxFill?.commission).toBeLessThan(350);
      expect(stockFill?.commissionCurrency).toBe('USD');
      const s = await h.broker.getAccountSummary(ACCOUNT);
      expect(s.cashBalances?.find((b) => b.currency === 'JPY')?.amount).toBe(1_000_000 - (fxFill?.commission ?? 0));
    } finally {
      await h.cleanup();
    }
  });
});

describe('an account created before the base currency was configurable', () => {
  it('has no base_currency in sim.db and stays USD', async () => {
    const h = makeSimHarness();
    try {
      await h.broker.connect();
      await h.broker.close();
      // What an older version wrote: no base currency recorded.
      const raw = new Database(path.join(h.dataDir, 'sim.db'));
      raw.prepare("DELETE FROM meta WHERE key = 'base_currency'").run();
      raw.close();
      const store = new SimStore(h.dataDir);
      try {
        expect(store.loadAccount(1_000_000).totals.base).toBe('USD');
        expect(() => store.loadAccount(1_000_000, 'GBP')).toThrow(/created in USD/);
      } finally {
        store.close();
      }
      await h.broker.connect();
      expect((await h.broker.getAccountSummary(ACCOUNT)).currency).toBe('USD');
    } finally {
      await h.cleanup();
    }
  });
});
