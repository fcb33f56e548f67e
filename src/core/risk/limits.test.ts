import { describe, expect, it } from 'vitest';
import { CHECK_NAMES } from './check-names.js';
import { createRiskEngine } from './engine.js';
import { aapl, baseLimits, byName, input, pnl, position, spec, summary } from '../../testing/risk-fixtures.js';
import type { RiskInput } from './types.js';

const run = (name: string, over: Partial<RiskInput>, limits = baseLimits()) => byName(createRiskEngine(limits).evaluate(input(over)), name);

describe('every check is reported', () => {
  it('returns each named check once, all passing for a small order on an empty account', () => {
    const checks = createRiskEngine(baseLimits()).evaluate(input());
    expect(checks.map((c) => c.name)).toEqual([...CHECK_NAMES]);
    expect(checks.filter((c) => !c.passed)).toEqual([]);
  });
});

describe('maxOrderQuantity (default 10000)', () => {
  it.each([
    [9999, true],
    [10000, true],
    [10000.0001, false],
    [10001, false],
  ])('quantity %d passes=%s', (quantity, passed) => {
    const c = run('maxOrderQuantity', { spec: spec({ quantity, limitPrice: 1 }), referencePrice: 1 });
    expect(c).toMatchObject({ passed, value: quantity, limit: 10000 });
  });
});

describe('maxOrderNotional (default 250000)', () => {
  it.each([
    [2499.99, true, 249999],
    [2500, true, 250000],
    [2500.01, false, 250001],
  ])('100 x %d passes=%s', (price, passed, value) => {
    const c = run('maxOrderNotional', { spec: spec({ quantity: 100, limitPrice: price }), referencePrice: price, lastPrice: price });
    expect(c).toMatchObject({ passed, value, limit: 250000 });
  });

  it('uses decimal arithmetic: 3 x 0.1 is exactly 0.3', () => {
    const c = run('maxOrderNotional', { spec: spec({ quantity: 3, limitPrice: 0.1 }), referencePrice: 0.1 }, baseLimits({ maxOrderNotional: 0.3 }));
    expect(c.passed).toBe(true);
  });

  it('applies the contract multiplier (an option contract is 100 shares)', () => {
    const option = { ...aapl, conId: 999, securityType: 'OPT' as const, multiplier: 100 };
    const s = spec({ securityType: 'OPT', expiry: '2026-03-20', strike: 200, right: 'C', quantity: 501, limitPrice: 5 });
    const c = run('maxOrderNotional', { spec: s, contract: option, referencePrice: 5, lastPrice: 5 });
    expect(c).toMatchObject({ passed: false, value: 250500 });
  });

  it('never understates: the higher of the reference and the limit price is used', () => {
    const c = run('maxOrderNotional', { spec: spec({ action: 'SELL', quantity: 100, limitPrice: 2600 }), referencePrice: 2400, lastPrice: 2400 });
    expect(c).toMatchObject({ passed: false, value: 260000 });
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

describe('maxPositionNotional (default 500000), counting working orders', () => {
  const at = (held: number, qty: number, working = 0, action: 'BUY' | 'SELL' = 'BUY') =>
    run('maxPositionNotional', {
      spec: spec({ action, quantity: qty, limitPrice: 100 }),
      positions: held === 0 ? [] : [position(held)],
      workingOrders: working === 0 ? [] : [{ conId: aapl.conId, action, remainingQuantity: working }],
    });

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
    });
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
