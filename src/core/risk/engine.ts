/**
 * The risk engine: the limits from the environment (RiskLimits) with the
 * risk file's per-symbol overrides, and the state the limits need between
 * orders (order times, recent specs, consecutive rejections).
 *
 * `evaluate` reads that state but never changes it, so preview and place
 * report the same checks; only `recordPlaced` and `recordOutcome` change it.
 */
import type { Decimal } from 'decimal.js';
import type { RiskLimits } from '../config.js';
import type { AccountPnL, OrderSpec, RiskCheck } from '../models.js';
import { checkAllowedSymbols, checkBlockedSymbols, checkQuantity, checkReduceOnly, checkSecurityType, symbolsOf } from './checks.js';
import { computeExposure } from './exposure.js';
import { checkDailyLoss, checkGrossExposure, checkOrderNotional, checkPositionNotional, checkPriceBand, dailyLoss } from './exposure-checks.js';
import { type HistoryFacts, memoryHistory, type SafetyHistory, type StoreHistory } from './history.js';
import { checkDuplicate, checkOrdersPerDay, checkOrdersPerMinute } from './rate-checks.js';
import { riskDayStart } from './trading-day.js';
import { applyOverride, loadRiskFile, normaliseSymbols, type RiskFile } from './risk-file.js';
import type { RiskEngine, RiskInput } from './types.js';

export interface RiskEngineOptions {
  /**
   * Per-symbol overrides. When omitted and `limits.riskFile` is set, that file
   * is loaded here (a ConfigError if it is bad): a configured risk file must
   * never be silently ignored.
   */
  overrides?: RiskFile;
  /** Where earlier orders are counted without a store. Default: this engine's own memory. */
  history?: SafetyHistory;
  /**
   * storeHistory(audit) in a gateway, so every process on the DATA_DIR shares
   * the limits: evaluate() then needs the facts from historyFacts().
   */
  store?: StoreHistory;
}

export function createRiskEngine(limits: RiskLimits, options: RiskEngineOptions = {}): RiskEngine {
  const file = options.overrides ?? (limits.riskFile !== null ? loadRiskFile(limits.riskFile) : undefined);
  const overrides = normaliseSymbols(file?.symbols ?? {});
  const windows = [limits.duplicateOrderWindowSeconds, ...Object.values(overrides).map((o) => o.duplicateOrderWindowSeconds ?? 0)];
  const history = options.history ?? memoryHistory(limits.dailyLossResetTime, Math.max(...windows) * 1000);
  let consecutiveRejections = 0;

  /**
   * The loss today: realised P&L of today's fills (from the order history,
   * when the history knows fills) plus the broker's unrealised P&L. Falls
   * back to the broker's realised figure without a store.
   */
  const lossToday = (pnl: AccountPnL, realized: Decimal | null) => dailyLoss(realized === null ? pnl : { ...pnl, realizedPnl: realized.toNumber() });

  /** The facts from this engine's memory (no store). */
  const memoryFacts = (spec: OrderSpec, accountId: string, now: number, resetTime: string): HistoryFacts => ({
    placedLastMinute: history.placedLastMinute(now),
    placedToday: history.placedSince(riskDayStart(now, resetTime), now),
    sinceIdentical: history.sinceIdentical(spec, accountId, now),
    realizedToday: history.realizedSince(accountId, riskDayStart(now, resetTime)),
  });

  const limitsFor = (symbol: string): RiskLimits => {
    const key = symbol.trim().toUpperCase();
    return applyOverride(limits, key, overrides[key]);
  };

  /** The order's own symbol wins; then the contract's (an option's underlying), so either key in the file applies. */
  const limitsForInput = (input: Pick<RiskInput, 'spec' | 'contract'>): RiskLimits => {
    const key = symbolsOf(input).find((s) => overrides[s] !== undefined);
    return key === undefined ? limits : limitsFor(key);
  };

  return {
    limitsFor,

    async historyFacts(input: Pick<RiskInput, 'spec' | 'accountId' | 'now' | 'contract'>): Promise<HistoryFacts> {
      const l = limitsForInput(input);
      if (!options.store) return memoryFacts(input.spec, input.accountId, input.now, l.dailyLossResetTime);
      return options.store.facts(input.spec, input.accountId, input.now, riskDayStart(input.now, l.dailyLossResetTime));
    },

    evaluate(input: RiskInput): RiskCheck[] {
      const l = limitsForInput(input);
      const e = computeExposure(input);
      if (input.history === undefined && options.store) throw new Error('risk: evaluate() needs input.history from historyFacts() when the engine counts from the store');
      const h = input.history ?? memoryFacts(input.spec, input.accountId, input.now, l.dailyLossResetTime);
      return [
        checkSecurityType(input, l),
        checkAllowedSymbols(input, l),
        checkBlockedSymbols(input, l),
        checkReduceOnly(input, l, e),
        checkQuantity(input, l),
        checkOrderNotional(input, l, e),
        checkPositionNotional(input, l, e),
        checkGrossExposure(input, l, e),
        checkPriceBand(input, l),
        checkDailyLoss(lossToday(input.pnl, h.realizedToday), l),
        checkOrdersPerMinute(h.placedLastMinute, l),
        checkOrdersPerDay(h.placedToday, l),
        checkDuplicate(h.sinceIdentical, l),
      ];
    },

    recordPlaced(spec: OrderSpec, accountId: string, now: number): void {
      history.record(spec, accountId, now);
    },

    /** The counter restarts after tripping, so a released kill switch needs N fresh rejections to trip again. */
    recordOutcome(outcome: 'accepted' | 'rejected'): boolean {
      if (outcome === 'accepted' || limits.circuitBreakerRejections === 0) {
        consecutiveRejections = 0;
        return false;
      }
      consecutiveRejections += 1;
      if (consecutiveRejections < limits.circuitBreakerRejections) return false;
      consecutiveRejections = 0;
      return true;
    },

    async realizedToday(accountId: string, now: number): Promise<Decimal | null> {
      const dayStart = riskDayStart(now, limits.dailyLossResetTime);
      return options.store ? options.store.realizedSince(accountId, dayStart) : history.realizedSince(accountId, dayStart);
    },

    dailyLossBreached(pnl: AccountPnL, realizedToday: Decimal | null = null): boolean {
      return lossToday(pnl, realizedToday).greaterThanOrEqualTo(limits.maxDailyLoss);
    },
  };
}
