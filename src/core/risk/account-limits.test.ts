import { describe, expect, it } from 'vitest';
import { openAuditStore } from '../audit/sqlite/store.js';
import { entry, tempDir, version } from '../../testing/audit/samples.js';
import { createRiskEngine } from './engine.js';
import { storeHistory } from './history.js';
import { ACCOUNT, baseLimits, byName, input, pnl, spec, summary, T0 } from '../../testing/risk-fixtures.js';
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

describe('per-account order rates (risk file "accounts": maxOrdersPerMinute, maxOrdersPerDay)', () => {
  it("an account with its own rate counts only its own messages; the others share every account's count", async () => {
    const { dir, cleanup } = tempDir();
    const audit = openAuditStore({ dataDir: dir });
    try {
      const iso = (ms: number) => new Date(ms).toISOString();
      const place = (id: string, account: string, at: number) =>
        audit.recordOrder(entry({ orderId: id, accountId: account, timestamp: iso(at) }), version(id, 'SUBMITTED', { accountId: account, createdAt: iso(at), placement: { riskKey: id }, expectNew: true }));
      // Two of ACCOUNT's in the last minute (one placement, one modification), three of OTHER's.
      await place('1', ACCOUNT, T0 - 30_000);
      await audit.append(entry({ eventType: 'ORDER_MODIFY_REQUESTED', orderId: '1', accountId: ACCOUNT, timestamp: iso(T0 - 20_000) }));
      for (const id of ['2', '3', '4']) await place(id, OTHER, T0 - 10_000);
      const risk = createRiskEngine(baseLimits({ maxOrdersPerMinute: 4 }), {
        store: storeHistory(audit),
        overrides: parseRiskFile({ accounts: { [ACCOUNT]: { maxOrdersPerMinute: 3, maxOrdersPerDay: 2 } } }, 'test'),
      });
      const checks = async (accountId: string) => {
        const i = input({ accountId, summary: { ...summary(), accountId } });
        return risk.evaluate({ ...i, history: await risk.historyFacts(i) });
      };
      const own = await checks(ACCOUNT);
      expect(byName(own, 'maxOrdersPerMinute')).toMatchObject({ passed: true, value: 3, limit: 3 });
      const day = byName(own, 'maxOrdersPerDay');
      expect(day).toMatchObject({ passed: false, value: 3, limit: 2 });
      expect(day.message).toMatch(/order 3 of account DU1234567 today would exceed account DU1234567's own limit 2/);
      // OTHER has no rate of its own: every account's 5 messages count against MAX_ORDERS_PER_MINUTE 4.
      const other = await checks(OTHER);
      expect(byName(other, 'maxOrdersPerMinute')).toMatchObject({ passed: false, value: 6, limit: 4 });
      expect(byName(other, 'maxOrdersPerMinute').message).toMatch(/MAX_ORDERS_PER_MINUTE 4/);
    } finally {
      await audit.close();
      cleanup();
    }
  });
});
