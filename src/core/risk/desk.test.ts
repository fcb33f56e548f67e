import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import type { ExposurePublication } from '../audit/types.js';
import { createRiskEngine } from './engine.js';
import { ACCOUNT, baseLimits, byName, input, pnl, position, spec, summary, T0 } from '../../testing/risk-fixtures.js';
import { otherAccounts } from './desk.js';
import { parseRiskFile, type DeskLimits } from './risk-file.js';
import { storeHistory, type HistoryFacts } from './history.js';
import { openAuditStore } from '../audit/sqlite/store.js';
import { tempDir } from '../../testing/audit/samples.js';
import type { RiskInput } from './types.js';

const desk = (over: Record<string, unknown> = {}): DeskLimits => parseRiskFile({ desk: { maxGrossExposure: 1_000_000, maxDailyLoss: 20_000, ...over } }, 'test').desk as DeskLimits;
const engine = (d = desk()) => createRiskEngine(baseLimits(), { overrides: { desk: d } });

const published = (accountId: string, over: Partial<ExposurePublication> = {}): ExposurePublication => ({
  accountId,
  brokerIdentity: `sim:${accountId}`,
  currency: 'USD',
  grossExposure: '0',
  maxGrossExposure: '2000000',
  dailyPnl: '0',
  maxDailyLoss: '50000',
  publishedAt: new Date(T0 - 1_000).toISOString(),
  ...over,
});

const facts = (pubs: ExposurePublication[]): HistoryFacts => ({ placedLastMinute: 0, placedToday: 0, sinceIdentical: null, realizedToday: null, desk: pubs });
const evaluate = (pubs: ExposurePublication[], over: Partial<RiskInput> = {}, d = desk()) => engine(d).evaluate(input({ history: facts(pubs), ...over }));

describe('maxDeskGrossExposure: every account on the store, after the order', () => {
  // BUY 10 AAPL at 100: this account goes from 0 to 1,000.
  it('adds the other accounts\' published gross to this account\'s gross after the order: at the limit passes, one cent over fails', () => {
    expect(byName(evaluate([published('DU2', { grossExposure: '999000' })]), 'maxDeskGrossExposure')).toMatchObject({ passed: true, value: 1_000_000, limit: 1_000_000 });
    const over = byName(evaluate([published('DU2', { grossExposure: '999000.01' })]), 'maxDeskGrossExposure');
    expect(over).toMatchObject({ passed: false, value: 1_000_000.01 });
    expect(over.message).toMatch(/exceeds the desk limit 1000000 \(RISK_FILE desk.maxGrossExposure\)/);
  });

  it('counts this account live, never from its own (older) publication', () => {
    const own = published(ACCOUNT, { grossExposure: '5000000' });
    expect(byName(evaluate([own, published('DU2', { grossExposure: '500000' })], { summary: summary(100_000) }), 'maxDeskGrossExposure')).toMatchObject({ passed: true, value: 601_000 });
  });

  it('lets an order that does not raise gross exposure through, even over the desk limit', () => {
    const sell = { spec: spec({ action: 'SELL', quantity: 10 }), positions: [position(100)], summary: summary(10_000) };
    expect(byName(evaluate([published('DU2', { grossExposure: '9000000' })], sell), 'maxDeskGrossExposure')).toMatchObject({ passed: true });
  });

  it('counts a stale publication at least at its account\'s own limit, and says which', () => {
    const stale = published('DU2', { grossExposure: '1000', maxGrossExposure: '999500', publishedAt: new Date(T0 - 31_000).toISOString() });
    const c = byName(evaluate([stale]), 'maxDeskGrossExposure');
    expect(c).toMatchObject({ passed: false, value: 1_000_500 });
    expect(c.message).toMatch(/stale, counted at least at their own limits: DU2/);
    // Just fresh (30 s old with staleAfterSeconds 30): its own figure.
    expect(byName(evaluate([{ ...stale, publishedAt: new Date(T0 - 30_000).toISOString() }]), 'maxDeskGrossExposure')).toMatchObject({ passed: true, value: 2_000 });
  });

  it('converts this account into the desk currency with the account\'s own rate', () => {
    const eur = { ...summary(0), currency: 'EUR', cashBalances: [{ currency: 'USD', amount: 0, amountInBase: 0, rate: 0.8 }] };
    // 1,000 USD of AAPL is 800 EUR in the account, 1,000 USD for the desk.
    const c = byName(evaluate([published('DU2', { grossExposure: '999000' })], { summary: eur }), 'maxDeskGrossExposure');
    expect(c).toMatchObject({ passed: true, value: 1_000_000 });
    const noRate = byName(evaluate([], { summary: { ...summary(0), currency: 'EUR' } }), 'maxDeskGrossExposure');
    expect(noRate.passed).toBe(false);
    expect(noRate.message).toMatch(/no EUR\/USD rate/);
  });

  it('fails rather than add a publication in another currency', () => {
    const c = byName(evaluate([published('DU2', { currency: 'EUR', grossExposure: '1' })]), 'maxDeskGrossExposure');
    expect(c.passed).toBe(false);
    expect(c.message).toMatch(/DU2 \(EUR\)/);
  });
});

describe('maxDeskDailyLoss: the summed P&L of every account today', () => {
  it('sums this account\'s P&L with the published ones; reaching the limit fails', () => {
    expect(byName(evaluate([published('DU2', { dailyPnl: '-15000' })], { pnl: pnl(-2_000, -2_999.99) }), 'maxDeskDailyLoss')).toMatchObject({ passed: true, value: 19_999.99 });
    expect(byName(evaluate([published('DU2', { dailyPnl: '-15000' })], { pnl: pnl(-2_000, -3_000) }), 'maxDeskDailyLoss')).toMatchObject({ passed: false, value: 20_000, limit: 20_000 });
  });

  it('nets gains against losses across accounts', () => {
    expect(byName(evaluate([published('DU2', { dailyPnl: '-30000' }), published('DU3', { dailyPnl: '15000' })]), 'maxDeskDailyLoss')).toMatchObject({ passed: true, value: 15_000 });
  });

  it('counts a stale publication, or one without P&L, as at least its account\'s loss limit', () => {
    const old = new Date(T0 - 60_000).toISOString();
    expect(byName(evaluate([published('DU2', { dailyPnl: '500', maxDailyLoss: '20000', publishedAt: old })]), 'maxDeskDailyLoss')).toMatchObject({ passed: false, value: 20_000 });
    expect(byName(evaluate([published('DU2', { dailyPnl: null, maxDailyLoss: '19000' })]), 'maxDeskDailyLoss')).toMatchObject({ passed: true, value: 19_000 });
  });
});

describe('otherAccounts', () => {
  it('sums decimal text exactly', () => {
    const o = otherAccounts([published('A', { grossExposure: '0.1' }), published('B', { grossExposure: '0.2' })], ACCOUNT, desk(), T0);
    expect(o.gross.equals(new Decimal('0.3'))).toBe(true);
    expect(o.counted).toBe(2);
  });
});

describe('the desk section of the risk file', () => {
  it('has defaults for the currency and the publication timing', () => {
    expect(desk()).toEqual({ maxGrossExposure: 1_000_000, maxDailyLoss: 20_000, currency: 'USD', publishIntervalSeconds: 5, staleAfterSeconds: 30 });
  });

  it('refuses a staleness bound no longer than the publication interval', () => {
    expect(() => desk({ publishIntervalSeconds: 30, staleAfterSeconds: 30 })).toThrow(/desk\.staleAfterSeconds/);
  });

  it('reads the publications only when desk limits are set (the order path reads nothing more without them)', async () => {
    const { dir, cleanup } = tempDir();
    const audit = openAuditStore({ dataDir: dir });
    try {
      await audit.publishExposure(published('DU2'));
      let reads = 0;
      const real = storeHistory(audit);
      const store = { ...real, exposures: () => ((reads += 1), real.exposures()) };
      const q = { spec: spec(), contract: input().contract, accountId: ACCOUNT, now: T0 };
      expect((await createRiskEngine(baseLimits(), { store }).historyFacts(q)).desk).toBeUndefined();
      expect(reads).toBe(0);
      expect((await createRiskEngine(baseLimits(), { store, overrides: { desk: desk() } }).historyFacts(q)).desk).toEqual([published('DU2')]);
      expect(reads).toBe(1);
    } finally {
      await audit.close();
      cleanup();
    }
  });
});
