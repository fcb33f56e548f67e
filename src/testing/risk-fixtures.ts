/**
 * Builders for risk tests: a plausible AAPL order on an empty account, with
 * every field overridable. Limits start from the real configuration defaults
 * so the tests also pin what a newcomer gets without setting anything.
 * (Kept out of *.test.ts so several test files share it; it has no side effects.)
 */
import { parseConfig, type RiskLimits } from '../core/config.js';
import { OrderSpec, type AccountPnL, type AccountSummary, type Contract, type OrderSpecInput, type Position, type RiskCheck } from '../core/models.js';
import type { RiskInput } from '../core/risk/types.js';

/** Monday 5 January 2026, 15:00 UTC (10:00 New York). */
export const T0 = Date.UTC(2026, 0, 5, 15, 0, 0);
export const ACCOUNT = 'DU1234567';

export const baseLimits = (over: Partial<RiskLimits> = {}): RiskLimits => ({ ...parseConfig({}).risk, ...over });

export const aapl: Contract = { conId: 265598, symbol: 'AAPL', securityType: 'STK', exchange: 'SMART', currency: 'USD', multiplier: 1, minTick: 0.01 };

export const spec = (over: Partial<OrderSpecInput> = {}): OrderSpec =>
  OrderSpec.parse({ symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'LMT', limitPrice: 100, ...over });

export const position = (quantity: number, over: Partial<Position> = {}): Position => ({
  accountId: ACCOUNT,
  symbol: 'AAPL',
  conId: aapl.conId,
  securityType: 'STK',
  currency: 'USD',
  quantity,
  avgCost: 100,
  marketPrice: 100,
  marketValue: quantity * 100,
  unrealizedPnl: 0,
  realizedPnl: 0,
  ...over,
});

export const summary = (grossPositionValue = 0): AccountSummary => ({
  accountId: ACCOUNT,
  currency: 'USD',
  netLiquidation: 1_000_000,
  totalCash: 1_000_000,
  buyingPower: 4_000_000,
  availableFunds: 1_000_000,
  excessLiquidity: 1_000_000,
  equityWithLoanValue: 1_000_000,
  grossPositionValue,
  initMarginReq: 0,
  maintMarginReq: 0,
  unrealizedPnl: 0,
  realizedPnl: 0,
  timestamp: new Date(T0).toISOString(),
});

export const pnl = (realizedPnl = 0, unrealizedPnl = 0): AccountPnL => ({
  accountId: ACCOUNT,
  currency: 'USD',
  dailyPnl: realizedPnl + unrealizedPnl,
  realizedPnl,
  unrealizedPnl,
  bySymbol: [],
  timestamp: new Date(T0).toISOString(),
});

export const input = (over: Partial<RiskInput> = {}): RiskInput => ({
  spec: spec(),
  contract: aapl,
  accountId: ACCOUNT,
  referencePrice: 100,
  lastPrice: 100,
  positions: [],
  summary: summary(),
  pnl: pnl(),
  workingOrders: [],
  now: T0,
  ...over,
});

/** The named check; throws so a renamed check fails loudly rather than as undefined. */
export function byName(checks: RiskCheck[], name: string): RiskCheck {
  const found = checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check named ${name} in ${checks.map((c) => c.name).join(', ')}`);
  return found;
}
