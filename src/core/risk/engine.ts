/**
 * The risk engine: the limits from the environment (RiskLimits) with the
 * risk file's per-symbol overrides, and the state the limits need between
 * orders (order times, recent specs, consecutive rejections), kept in a
 * SafetyHistory.
 *
 * `evaluate` reads that state but never changes it, so preview and place
 * report the same checks; only `recordPlaced` and `recordOutcome` change it.
 */
import type { RiskLimits } from '../config.js';
import type { AccountPnL, OrderSpec, RiskCheck } from '../models.js';
import { checkAllowedSymbols, checkBlockedSymbols, checkQuantity, checkReduceOnly, checkSecurityType, symbolsOf } from './checks.js';
import { computeExposure } from './exposure.js';
import { checkDailyLoss, checkGrossExposure, checkOrderNotional, checkPositionNotional, checkPriceBand, dailyLoss } from './exposure-checks.js';
import { memoryHistory, type SafetyHistory } from './history.js';
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
  /**
   * Where earlier orders are counted: storeHistory(audit) in a gateway, so
   * every process on the DATA_DIR shares the limits. Default: this engine's
   * own memory.
   */
  history?: SafetyHistory;
}

export function createRiskEngine(limits: RiskLimits, options: RiskEngineOptions = {}): RiskEngine {
  const file = options.overrides ?? (limits.riskFile !== null ? loadRiskFile(limits.riskFile) : undefined);
  const overrides = normaliseSymbols(file?.symbols ?? {});
  const windows = [limits.duplicateOrderWindowSeconds, ...Object.values(overrides).map((o) => o.duplicateOrderWindowSeconds ?? 0)];
  const history = options.history ?? memoryHistory(limits.dailyLossResetTime, Math.max(...windows) * 1000);

  /**
   * The loss today: realised P&L of today's fills (from the order history,
   * when the history knows fills) plus the broker's unrealised P&L. Falls
   * back to the broker's realised figure without a store.
   */
  const lossToday = (pnl: AccountPnL, now: number | undefined) => {
    const realized = now === undefined ? null : history.realizedSince(pnl.accountId, riskDayStart(now, limits.dailyLossResetTime));
    return dailyLoss(realized === null ? pnl : { ...pnl, realizedPnl: realized.toNumber() });
  };

  const limitsFor = (symbol: string): RiskLimits => {
    const key = symbol.trim().toUpperCase();
    return applyOverride(limits, key, overrides[key]);
  };

  /** The order's own symbol wins; then the contract's (an option's underlying), so either key in the file applies. */
  const limitsForInput = (input: RiskInput): RiskLimits => {
    const key = symbolsOf(input).find((s) => overrides[s] !== undefined);
    return key === undefined ? limits : limitsFor(key);
  };

  return {
    limitsFor,

    evaluate(input: RiskInput): RiskCheck[] {
      const l = limitsForInput(input);
      const e = computeExposure(input);
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
        checkDailyLoss(lossToday(input.pnl, input.now), l),
        checkOrdersPerMinute(history.placedLastMinute(input.now), l),
        checkOrdersPerDay(history.placedSince(riskDayStart(input.now, l.dailyLossResetTime), input.now), l),
        checkDuplicate(history.sinceIdentical(input.spec, input.accountId, input.now), l),
      ];
    },

    recordPlaced(spec: OrderSpec, accountId: string, now: number): void {
      history.record(spec, accountId, now);
    },

    /**
     * The count lives in the history (the store in a gateway: every process and a restart continue
     * one streak). It restarts after tripping, so a released kill switch needs N fresh rejections to
     * trip again. An accepted order writes only when it ends a streak: the order path pays one read.
     */
    recordOutcome(outcome: 'accepted' | 'rejected'): boolean {
      if (limits.circuitBreakerRejections === 0) return false;
      const streak = history.rejectionStreak();
      if (outcome === 'accepted') {
        if (streak !== 0) history.setRejectionStreak(0);
        return false;
      }
      const tripped = streak + 1 >= limits.circuitBreakerRejections;
      history.setRejectionStreak(tripped ? 0 : streak + 1);
      return tripped;
    },

    dailyLossBreached(pnl: AccountPnL, now?: number): boolean {
      return lossToday(pnl, now).greaterThanOrEqualTo(limits.maxDailyLoss);
    },
  };
}
