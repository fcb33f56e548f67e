/**
 * Financing: each currency's debit balance pays its benchmark plus IBKR Pro's
 * tiered spread, a credit balance above the currency's threshold earns the
 * benchmark less its spread, shorts pay a borrow fee in their own currency;
 * each currency by its own day count, one booking per New York day.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import type { Contract } from '../../core/models.js';
import { FINANCING, creditInterestPerYear as creditIn, dailyInterest, debitInterestPerYear as debitIn, type CurrencyFinancing } from './interest-rates.js';
import { flush, makeSimHarness, placeSim, type SimHarness } from '../../testing/sim-harness.js';

const ACCOUNT = 'DU1234567';
const USD = FINANCING.USD as CurrencyFinancing;
const debitInterestPerYear = (owed: Decimal): Decimal => debitIn(owed, USD);
const creditInterestPerYear = (balance: Decimal): Decimal => creditIn(balance, USD);
let h: SimHarness | null = null;
afterEach(async () => {
  await h?.cleanup();
  h = null;
});

describe('the rates', () => {
  it('USD debit: BM + 1.5% to 100,000, + 1% to 1,000,000, + 0.75% to 50,000,000, + 0.5% above (BM 4.33%)', () => {
    expect(debitInterestPerYear(new Decimal(50_000)).toNumber()).toBe(50_000 * 0.0583);
    expect(debitInterestPerYear(new Decimal(303_871)).toDecimalPlaces(2).toNumber()).toBe(new Decimal(100_000).times('0.0583').plus(new Decimal(203_871).times('0.0533')).toDecimalPlaces(2).toNumber());
    const blended = new Decimal(100_000).times('0.0583').plus(new Decimal(900_000).times('0.0533')).plus(new Decimal(49_000_000).times('0.0508')).plus(new Decimal(10_000_000).times('0.0483'));
    expect(debitInterestPerYear(new Decimal(60_000_000)).toString()).toBe(blended.toString());
  });

  it('each currency has its own benchmark, tiers, threshold and day count', () => {
    const EUR = FINANCING.EUR as CurrencyFinancing;
    const GBP = FINANCING.GBP as CurrencyFinancing;
    const JPY = FINANCING.JPY as CurrencyFinancing;
    // EUR: €STR 1.953%, BM + 1.5% to 90,000 then + 1%; actual/360.
    expect(debitIn(new Decimal(100_000), EUR).toString()).toBe(new Decimal(90_000).times('0.03453').plus(new Decimal(10_000).times('0.02953')).toString());
    expect(dailyInterest(new Decimal(-90_000), EUR).toString()).toBe(new Decimal(90_000).times('0.03453').dividedBy(360).toDecimalPlaces(2).neg().toString());
    // GBP: SONIA 3.999%, tiers at 80,000; credit above 8,000 at BM - 0.5%; actual/365 (IBKR's GBP example).
    expect(dailyInterest(new Decimal(-80_000), GBP).toString()).toBe(new Decimal(80_000).times('0.05499').dividedBy(365).toDecimalPlaces(2).neg().toString());
    expect(creditIn(new Decimal(18_000), GBP).toString()).toBe(new Decimal(10_000).times('0.03499').toString());
    // JPY: nothing on the first 5,000,000; whole yen.
    expect(creditIn(new Decimal(4_000_000), JPY).toNumber()).toBe(0);
    expect(dailyInterest(new Decimal(-1_000_000), JPY).decimalPlaces()).toBe(0);
    // A negative benchmark counts as 0: the rate charged is the spread alone.
    const negative: CurrencyFinancing = { ...EUR, benchmark: { ...EUR.benchmark, value: '-0.005' } };
    expect(debitIn(new Decimal(10_000), negative).toString()).toBe('150');
    expect(creditIn(new Decimal(1_000_000), negative).toNumber()).toBe(0);
  });

  it('credit: nothing on the first 10,000, BM - 0.5% above', () => {
    expect(creditInterestPerYear(new Decimal(9_000)).toNumber()).toBe(0);
    expect(creditInterestPerYear(new Decimal(110_000)).toNumber()).toBe(100_000 * 0.0383);
  });
});

describe('a month of a debit balance', () => {
  it('accrues interest every day into cash (about 30 days of 303,871 owed)', async () => {
    h = makeSimHarness({ financing: true });
    await h.broker.connect();
    const [spy] = await h.broker.resolveContracts({ symbol: 'SPY', securityType: 'STK' });
    const quote = await h.broker.getQuote(spy as Contract);
    const quantity = Math.round(1_303_871 / (quote.ask as number));
    const ack = await placeSim(h.broker, spy as Contract, { symbol: 'SPY', action: 'BUY', quantity, orderType: 'MKT' });
    expect(ack.status).toBe('FILLED');
    await flush();
    const owed = new Decimal((await h.broker.getAccountSummary(ACCOUNT)).totalCash).neg();
    expect(owed.toNumber()).toBeGreaterThan(250_000);
    // 30 New York days end between Monday 10:00 and 30 days later.
    await h.advance(30 * 86_400_000);
    const after = new Decimal((await h.broker.getAccountSummary(ACCOUNT)).totalCash).neg();
    const charged = after.minus(owed);
    const simple = debitInterestPerYear(owed).times(30).dividedBy(360);
    // Daily compounding makes it a little more than simple interest, never less.
    expect(charged.gte(simple.minus('0.30'))).toBe(true);
    expect(charged.lte(simple.times('1.01'))).toBe(true);
    // Held still at the same clock, a restart books nothing twice.
    await h.restart(0);
    expect(new Decimal((await h.broker.getAccountSummary(ACCOUNT)).totalCash).neg().toString()).toBe(after.toString());
  });

  it('a short stock pays its borrow fee; a credit balance earns interest', async () => {
    h = makeSimHarness({ financing: true });
    await h.broker.connect();
    const [aapl] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
    await placeSim(h.broker, aapl as Contract, { symbol: 'AAPL', action: 'SELL', quantity: 1000, orderType: 'MKT' });
    await flush();
    const cash = new Decimal((await h.broker.getAccountSummary(ACCOUNT)).totalCash);
    await h.advance(86_400_000);
    const [pos] = await h.broker.getPositions(ACCOUNT);
    const gained = new Decimal((await h.broker.getAccountSummary(ACCOUNT)).totalCash).minus(cash);
    const interest = creditInterestPerYear(cash).dividedBy(360);
    const borrow = new Decimal(Math.abs(pos?.marketValue ?? 0)).times('0.0025').dividedBy(360);
    // One day: credit interest less the borrow fee, within a day's price move of the short's value.
    expect(gained.toNumber()).toBeCloseTo(interest.minus(borrow).toNumber(), 0);
    expect(gained.toNumber()).toBeLessThan(interest.toNumber());
  });
});

describe('financing in an EUR account', () => {
  it('a USD debit pays USD interest from USD cash at the USD rates; the EUR credit earns EUR interest above 10,000', async () => {
    h = makeSimHarness({ financing: true, baseCurrency: 'EUR' });
    await h.broker.connect();
    const [spy] = await h.broker.resolveContracts({ symbol: 'SPY', securityType: 'STK' });
    const ack = await placeSim(h.broker, spy as Contract, { symbol: 'SPY', action: 'BUY', quantity: 500, orderType: 'MKT' });
    expect(ack.status).toBe('FILLED');
    await flush();
    const balances = async () => {
      const s = await h?.broker.getAccountSummary(ACCOUNT);
      const of = (c: string) => new Decimal(s?.cashBalances?.find((b) => b.currency === c)?.amount ?? 0);
      return { usd: of('USD'), eur: of('EUR') };
    };
    const before = await balances();
    expect(before.usd.isNegative()).toBe(true);
    expect(before.eur.toNumber()).toBe(1_000_000);
    // One New York day ends.
    await h.advance(86_400_000);
    const after = await balances();
    const usdDay = dailyInterest(before.usd, USD);
    const eurDay = dailyInterest(before.eur, FINANCING.EUR as CurrencyFinancing);
    expect(usdDay.isNegative()).toBe(true);
    // (1,000,000 - 10,000) x (1.953% - 0.5%) / 360
    expect(eurDay.toString()).toBe(new Decimal(990_000).times('0.01453').dividedBy(360).toDecimalPlaces(2).toString());
    expect(after.usd.minus(before.usd).toString()).toBe(usdDay.toString());
    expect(after.eur.minus(before.eur).toString()).toBe(eurDay.toString());
  });
});
