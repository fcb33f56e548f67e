import { describe, expect, it } from 'vitest';
import { createRiskEngine } from './engine.js';
import { ACCOUNT, baseLimits, byName, input, pnl, spec, summary } from '../../testing/risk-fixtures.js';
import { parseRiskFile } from './risk-file.js';

const OTHER = 'DU7654321';
const file = parseRiskFile(
  {
    symbols: { AAPL: { maxOrderNotional: 900_000, maxOrderQuantity: 20 } },
    accounts: { [ACCOUNT]: { maxOrderNotional: 5_000, maxPositionNotional: 8_000, maxGrossExposure: 10_000, maxDailyLoss: 1_000, maxOrderQuantity: 500 } },
  },
  'test',
);
const engine = createRiskEngine(baseLimits(), { overrides: file });
const forAccount = (accountId: string, over: Parameters<typeof input>[0] = {}) => engine.evaluate(input({ accountId, summary: { ...summary(), accountId }, ...over }));

describe('per-account limits (risk file "accounts")', () => {
  it('an account\'s own limits replace the environment\'s for its orders only', () => {
    const msft = { conId: 272093, symbol: 'MSFT', securityType: 'STK' as const, exchange: 'SMART', currency: 'USD', multiplier: 1, minTick: 0.01 };
    const order = { spec: spec({ symbol: 'MSFT', quantity: 60, limitPrice: 100 }), contract: msft };
    expect(byName(forAccount(ACCOUNT, order), 'maxOrderNotional')).toMatchObject({ passed: false, value: 6_000, limit: 5_000 });
    expect(byName(forAccount(OTHER, order), 'maxOrderNotional')).toMatchObject({ passed: true, limit: 600_000 });
    expect(byName(forAccount(ACCOUNT, { ...order, spec: spec({ symbol: 'MSFT', quantity: 50, limitPrice: 100 }) }), 'maxOrderNotional')).toMatchObject({ passed: true, value: 5_000 });
  });

  it('where an account and a symbol both set a limit, the smaller wins', () => {
    // AAPL loosens notional to 900,000 but the account holds it at 5,000; AAPL tightens quantity to 20, under the account's 500.
    expect(engine.limitsFor('AAPL', ACCOUNT)).toMatchObject({ maxOrderNotional: 5_000, maxOrderQuantity: 20 });
    expect(engine.limitsFor('AAPL', OTHER)).toMatchObject({ maxOrderNotional: 900_000, maxOrderQuantity: 20 });
    expect(engine.limitsFor('MSFT', ACCOUNT)).toMatchObject({ maxOrderNotional: 5_000, maxOrderQuantity: 500, maxPositionNotional: 8_000, maxGrossExposure: 10_000 });
  });

  it('gross exposure and the daily loss use the account\'s bounds', () => {
    const order = { spec: spec({ quantity: 10, limitPrice: 100 }) };
    expect(byName(forAccount(ACCOUNT, { ...order, summary: { ...summary(9_000), accountId: ACCOUNT } }), 'maxGrossExposure')).toMatchObject({ passed: true, value: 10_000, limit: 10_000 });
    expect(byName(forAccount(ACCOUNT, { ...order, summary: { ...summary(9_001), accountId: ACCOUNT } }), 'maxGrossExposure')).toMatchObject({ passed: false, limit: 10_000 });
    expect(byName(forAccount(ACCOUNT, { pnl: pnl(-600, -400) }), 'maxDailyLoss')).toMatchObject({ passed: false, value: 1_000, limit: 1_000 });
    expect(byName(forAccount(OTHER, { pnl: { ...pnl(-600, -400), accountId: OTHER } }), 'maxDailyLoss')).toMatchObject({ passed: true, limit: 50_000 });
  });

  it('the daily-loss kill switch trips at the account\'s own limit', () => {
    expect(engine.dailyLossBreached(pnl(-1_000, 0))).toBe(true);
    expect(engine.dailyLossBreached(pnl(-999.99, 0))).toBe(false);
    expect(engine.dailyLossBreached({ ...pnl(-1_000, 0), accountId: OTHER })).toBe(false);
  });

  it('a misspelt or negative account limit is a RISK_FILE error, not a limit silently not applied', () => {
    expect(() => parseRiskFile({ accounts: { [ACCOUNT]: { maxOrderNotionl: 5 } } }, 'typo.json')).toThrow(/accounts\.DU1234567/);
    expect(() => parseRiskFile({ accounts: { [ACCOUNT]: { maxDailyLoss: -1 } } }, 'neg.json')).toThrow(/accounts\.DU1234567\.maxDailyLoss/);
    expect(() => parseRiskFile({ accounts: { [ACCOUNT]: { priceBandPercent: 1 } } }, 'field.json')).toThrow(/priceBandPercent/);
  });
});
