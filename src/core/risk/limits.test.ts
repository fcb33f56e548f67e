import { describe, expect, it } from 'vitest';
import { CHECK_NAMES, DESK_CHECK_NAMES } from './check-names.js';
import { createRiskEngine } from './engine.js';
import { aapl, baseLimits, byName, input, pnl, position, spec, summary } from '../../testing/risk-fixtures.js';
import type { RiskInput } from './types.js';
import type { Contract } from '../models.js';

const run = (name: string, over: Partial<RiskInput>, limits = baseLimits()) => byName(createRiskEngine(limits).evaluate(input(over)), name);

describe('every check is reported', () => {
  it('returns each named check once, all passing for a small order on an empty account (the desk checks only with desk limits)', () => {
    const checks = createRiskEngine(baseLimits()).evaluate(input());
    expect(checks.map((c) => c.name)).toEqual(CHECK_NAMES.filter((n) => !DESK_CHECK_NAMES.includes(n)));
    expect(checks.filter((c) => !c.passed)).toEqual([]);
    const desk = createRiskEngine(baseLimits(), { overrides: { desk: { maxGrossExposure: 1e7, maxDailyLoss: 1e5, currency: 'USD', publishIntervalSeconds: 5, staleAfterSeconds: 30 } } });
    const all = desk.evaluate(input());
    expect(all.map((c) => c.name)).toEqual([...CHECK_NAMES]);
    expect(all.filter((c) => !c.passed)).toEqual([]);
  });
});

describe('maxOrderQuantity (default 100000: a standard FX lot)', () => {
  it.each([
    [99999, true],
    [100000, true],
    [100000.0001, false],
    [100001, false],
  ])('quantity %d passes=%s', (quantity, passed) => {
    const c = run('maxOrderQuantity', { spec: spec({ quantity, limitPrice: 1 }), referencePrice: 1 });
    expect(c).toMatchObject({ passed, value: quantity, limit: 100000 });
  });
});

describe('maxOrderNotional (default 600000: one contract of any listed future)', () => {
  it.each([
    [5999.99, true, 599999],
    [6000, true, 600000],
    [6000.01, false, 600001],
  ])('100 x %d passes=%s', (price, passed, value) => {
    const c = run('maxOrderNotional', { spec: spec({ quantity: 100, limitPrice: price }), referencePrice: price, lastPrice: price });
    expect(c).toMatchObject({ passed, value, limit: 600000 });
  });

  it('uses decimal arithmetic: 3 x 0.1 is exactly 0.3', () => {
    const c = run('maxOrderNotional', { spec: spec({ quantity: 3, limitPrice: 0.1 }), referencePrice: 0.1 }, baseLimits({ maxOrderNotional: 0.3 }));
    expect(c.passed).toBe(true);
  });

  it('applies the contract multiplier (an option contract is 100 shares)', () => {
    const option = { ...aapl, conId: 999, securityType: 'OPT' as const, multiplier: 100 };
    const s = spec({ securityType: 'OPT', expiry: '2026-03-20', strike: 200, right: 'C', quantity: 1201, limitPrice: 5 });
    const c = run('maxOrderNotional', { spec: s, contract: option, referencePrice: 5, lastPrice: 5 });
    expect(c).toMatchObject({ passed: false, value: 600500 });
  });

  it('never understates: the higher of the reference and the limit price is used', () => {
    const c = run('maxOrderNotional', { spec: spec({ action: 'SELL', quantity: 100, limitPrice: 6100 }), referencePrice: 5900, lastPrice: 5900 });
    expect(c).toMatchObject({ passed: false, value: 610000 });
  });

  it('fails with advice when a market order has no price at all', () => {
    const c = run('maxOrderNotional', { spec: spec({ orderType: 'MKT', limitPrice: undefined }), referencePrice: null, lastPrice: null });
    expect(c.passed).toBe(false);
    expect(c.value).toBeNull();
    expect(c.message).toMatch(/notional unknown.*supply a limit price/);
  });

  it('falls back to the last price for a market order without a touch', () => {
    const c = run('maxOrderNotional', { spec: spec({ orderType: 'MKT', limitPrice: undefined, quantity: 10 }), referencePrice: null, lastPrice: 123 });
    expect(c).toMatchObject({ passed: true, value: 1230 });
  });
});

describe('maxPositionNotional (here 500000), counting working orders', () => {
  const limits = baseLimits({ maxPositionNotional: 500000 });
  const at = (held: number, qty: number, working = 0, action: 'BUY' | 'SELL' = 'BUY') =>
    run('maxPositionNotional', {
      spec: spec({ action, quantity: qty, limitPrice: 100 }),
      positions: held === 0 ? [] : [position(held)],
      workingOrders: working === 0 ? [] : [{ conId: aapl.conId, action, remainingQuantity: working }],
    }, limits);

  it('passes just below and at the bound, fails just above', () => {
    expect(at(4000, 999)).toMatchObject({ passed: true, value: 499900 });
    expect(at(4000, 1000)).toMatchObject({ passed: true, value: 500000 });
    expect(at(4000, 1001)).toMatchObject({ passed: false, value: 500100 });
  });

  it('counts same-side working orders as if filled', () => {
    expect(at(3000, 1000, 1000)).toMatchObject({ passed: true, value: 500000 });
    expect(at(3000, 1000, 1001)).toMatchObject({ passed: false, value: 500100 });
  });

  it('ignores opposite-side working orders (they may be cancelled)', () => {
    const c = run('maxPositionNotional', {
      spec: spec({ quantity: 1001, limitPrice: 100 }),
      positions: [position(4000)],
      workingOrders: [{ conId: aapl.conId, action: 'SELL', remainingQuantity: 4000 }],
    }, limits);
    expect(c.passed).toBe(false);
  });

  it('lets an over-limit position be reduced, but not flipped beyond the limit', () => {
    expect(at(6000, 1000, 0, 'SELL')).toMatchObject({ passed: true, value: 500000 });
    expect(at(6000, 5999, 0, 'SELL').passed).toBe(true);
    expect(at(-6000, 500).passed).toBe(true);
    expect(at(1000, 6001, 0, 'SELL')).toMatchObject({ passed: false, value: 500100 });
    expect(at(1000, 6000, 0, 'SELL')).toMatchObject({ passed: true, value: 500000 });
  });

  it('counts only this account and this instrument', () => {
    const c = run('maxPositionNotional', {
      spec: spec({ quantity: 100 }),
      positions: [position(9000, { accountId: 'DU999' }), position(9000, { conId: 1 })],
    });
    expect(c).toMatchObject({ passed: true, value: 10000 });
  });
});

describe('maxGrossExposure (default 2000000)', () => {
  const gross = (grossNow: number, qty: number, held = 0, workingElsewhere = 0) =>
    run('maxGrossExposure', {
      spec: spec({ quantity: qty, limitPrice: 100 }),
      summary: summary(grossNow),
      positions: held === 0 ? [] : [position(held)],
      workingOrders: workingElsewhere === 0 ? [] : [{ conId: 1, action: 'SELL', remainingQuantity: 1, notional: workingElsewhere }],
    });

  it('passes below and at the bound, fails above', () => {
    expect(gross(1_900_000, 999)).toMatchObject({ passed: true, value: 1_999_900 });
    expect(gross(1_900_000, 1000)).toMatchObject({ passed: true, value: 2_000_000 });
    expect(gross(1_900_000, 1001)).toMatchObject({ passed: false, value: 2_000_100 });
  });

  it('replaces this instrument\'s current value instead of adding to it', () => {
    expect(gross(2_000_000, 1000, 1000)).toMatchObject({ passed: false, value: 2_100_000 });
    expect(gross(1_950_000, 500, 1000)).toMatchObject({ passed: true, value: 2_000_000 });
  });

  it('adds working orders elsewhere when their notional is known', () => {
    expect(gross(1_800_000, 1000, 0, 100_000)).toMatchObject({ passed: true, value: 2_000_000 });
    expect(gross(1_800_000, 1000, 0, 100_001)).toMatchObject({ passed: false, value: 2_000_001 });
  });

  it('lets an over-limit book reduce', () => {
    const c = run('maxGrossExposure', { spec: spec({ action: 'SELL', quantity: 100 }), summary: summary(3_000_000), positions: [position(1000)] });
    expect(c.passed).toBe(true);
  });
});

describe('priceBand (default 10%)', () => {
  it.each([
    [109.99, true],
    [110, true],
    [110.01, false],
    [90, true],
    [89.99, false],
  ])('limit %d vs last 100 passes=%s', (limitPrice, passed) => {
    expect(run('priceBand', { spec: spec({ limitPrice }), lastPrice: 100 }).passed).toBe(passed);
  });

  it('checks the stop price too and reports the worse of the two', () => {
    const c = run('priceBand', { spec: spec({ orderType: 'STP_LMT', stopPrice: 120, limitPrice: 101 }), lastPrice: 100 });
    expect(c).toMatchObject({ passed: false, value: 20 });
  });

  it('has nothing to check for a market order', () => {
    expect(run('priceBand', { spec: spec({ orderType: 'MKT', limitPrice: undefined }), lastPrice: null })).toMatchObject({ passed: true, value: null });
  });

  it('fails when there is no last price to compare with', () => {
    const c = run('priceBand', { lastPrice: null });
    expect(c.passed).toBe(false);
    expect(c.message).toMatch(/no last price/);
  });
});

describe('maxDailyLoss (default 50000): realised + unrealised', () => {
  it.each([
    [-30_000, -19_999.99, true],
    [-30_000, -20_000, false],
    [-30_000, -20_000.01, false],
    [10_000, -59_999, true],
  ])('realised %d unrealised %d passes=%s', (r, u, passed) => {
    expect(run('maxDailyLoss', { pnl: pnl(r, u) }).passed).toBe(passed);
    expect(createRiskEngine(baseLimits()).dailyLossBreached(pnl(r, u))).toBe(!passed);
  });

  it('reports a profit as zero loss', () => {
    expect(run('maxDailyLoss', { pnl: pnl(500, 100) })).toMatchObject({ passed: true, value: 0 });
  });
});

describe('allowed and blocked symbols and security types', () => {
  it('allows every symbol when ALLOWED_SYMBOLS is unset', () => {
    expect(run('allowedSymbols', {}).passed).toBe(true);
  });

  it('enforces ALLOWED_SYMBOLS', () => {
    expect(run('allowedSymbols', {}, baseLimits({ allowedSymbols: ['AAPL', 'MSFT'] })).passed).toBe(true);
    expect(run('allowedSymbols', {}, baseLimits({ allowedSymbols: ['MSFT'] })).passed).toBe(false);
  });

  it('blocks BLOCKED_SYMBOLS, matching the local symbol too', () => {
    expect(run('blockedSymbols', {}, baseLimits({ blockedSymbols: ['AAPL'] })).passed).toBe(false);
    expect(run('blockedSymbols', {}, baseLimits({ blockedSymbols: ['MSFT'] })).passed).toBe(true);
    const option = { ...aapl, localSymbol: 'AAPL  260320C00200000' };
    expect(run('blockedSymbols', { contract: option }, baseLimits({ blockedSymbols: ['AAPL  260320C00200000'] })).passed).toBe(false);
  });

  it('enforces ALLOWED_SECURITY_TYPES', () => {
    expect(run('allowedSecurityTypes', {}, baseLimits({ allowedSecurityTypes: ['STK', 'ETF'] })).passed).toBe(true);
    const c = run('allowedSecurityTypes', {}, baseLimits({ allowedSecurityTypes: ['ETF'] }));
    expect(c).toMatchObject({ passed: false, value: 'STK' });
  });
});

describe('notional in the account currency, with the defaults a newcomer gets', () => {
  const usdjpy: Contract = { conId: 15016059, symbol: 'USD.JPY', securityType: 'CASH', exchange: 'IDEALPRO', currency: 'JPY', multiplier: 1, minTick: 0.005 };
  const eurusd: Contract = { conId: 12087792, symbol: 'EUR.USD', securityType: 'CASH', exchange: 'IDEALPRO', currency: 'USD', multiplier: 1, minTick: 0.00005 };
  const nq: Contract = { conId: 496002603, symbol: 'NQ', securityType: 'FUT', exchange: 'CME', currency: 'USD', multiplier: 20, minTick: 0.25, expiry: '2026-03-20' };
  const evaluate = (over: Partial<RiskInput>) => createRiskEngine(baseLimits()).evaluate(input(over));

  it('1M USD.JPY counts 1M USD, not 153.9M (its quantity is already in dollars)', () => {
    const c = byName(evaluate({ contract: usdjpy, spec: spec({ symbol: 'USD.JPY', quantity: 1_000_000, limitPrice: 153.875 }), referencePrice: 153.875, lastPrice: 153.875 }), 'maxOrderNotional');
    expect(c.value).toBe(1_000_000);
    expect(c.message).toMatch(/in USD/);
  });

  it('a 100,000 lot of USD.JPY or EUR.USD passes every default limit', () => {
    for (const [contract, price] of [[usdjpy, 153.875], [eurusd, 1.08]] as const) {
      const checks = evaluate({ contract, spec: spec({ symbol: contract.symbol, quantity: 100_000, limitPrice: price }), referencePrice: price, lastPrice: price });
      expect(checks.filter((c) => !c.passed)).toEqual([]);
    }
  });

  it('one NQ contract (the largest listed future, 424,000 USD) passes every default limit', () => {
    const checks = evaluate({ contract: nq, spec: spec({ symbol: 'NQ', quantity: 1, limitPrice: 21200 }), referencePrice: 21200, lastPrice: 21200 });
    expect(checks.filter((c) => !c.passed)).toEqual([]);
  });

  it('a contract in another currency is converted at the rate the broker reports with its cash balances', () => {
    const sap: Contract = { conId: 14204, symbol: 'SAP', securityType: 'STK', exchange: 'SMART', currency: 'EUR', multiplier: 1, minTick: 0.01 };
    const withEur = { ...summary(), cashBalances: [{ currency: 'USD', amount: 1_000_000, amountInBase: 1_000_000, rate: 1 }, { currency: 'EUR', amount: 0, amountInBase: 0, rate: 1.1 }] };
    const c = byName(evaluate({ contract: sap, summary: withEur, spec: spec({ symbol: 'SAP', quantity: 100, limitPrice: 200 }), referencePrice: 200, lastPrice: 200 }), 'maxOrderNotional');
    expect(c.value).toBe(22_000);
    const unknown = byName(evaluate({ contract: sap, spec: spec({ symbol: 'SAP', quantity: 100, limitPrice: 200 }), referencePrice: 200, lastPrice: 200 }), 'maxOrderNotional');
    expect(unknown.value).toBe(20_000);
    expect(unknown.message).toMatch(/no EUR\/USD rate known/);
  });
});
