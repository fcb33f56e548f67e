/**
 * The risk engine: the limits from the environment (RiskLimits) with the
 * risk file's per-symbol overrides, and the state the limits need between
 * orders (order times, recent specs, consecutive rejections), kept in the
 * store (StoreHistory) in a gateway or in a SafetyHistory without one.
 *
 * `evaluate` reads that state but never changes it, so preview and place
 * report the same checks; only `recordPlaced`, `recordModified` and `recordOutcome` change it.
 */
import { Decimal } from 'decimal.js';
import { decimalOf } from '../money.js';
import type { RiskLimits } from '../config.js';
import type { AccountPnL, OrderSpec, RiskCheck } from '../models.js';
import { checkAllowedSymbols, checkBlockedSymbols, checkQuantity, checkReduceOnly, checkSecurityType, symbolsOf } from './checks.js';
import { computeExposure } from './exposure.js';
import { checkDailyLoss, checkGrossExposure, checkOrderNotional, checkPositionNotional, checkPriceBand, dailyLoss } from './exposure-checks.js';
import { type HistoryFacts, memoryHistory, type SafetyHistory, type StoreHistory } from './history.js';
import { checkDuplicate, checkOrdersPerDay, checkOrdersPerMinute } from './rate-checks.js';
import { riskDayStart } from './trading-day.js';
import { checkDeskDailyLoss, checkDeskGrossExposure } from './desk.js';
import { limitsForAccountAndSymbol, loadRiskFile, normaliseSymbols, type RiskFile } from './risk-file.js';
import type { RiskEngine, RiskInput } from './types.js';

export interface RiskEngineOptions {
  /**
   * The risk file's content (per-symbol and per-account overrides, desk limits). When
   * omitted and `limits.riskFile` is set, that file is loaded here (a ConfigError
   * if it is bad): a configured risk file must never be silently ignored.
   */
  overrides?: Partial<RiskFile>;
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
  const accounts = file?.accounts ?? {};
  const desk = file?.desk;
  const deskLimited = desk !== undefined && (desk.maxGrossExposure !== undefined || desk.maxDailyLoss !== undefined);
  const windows = [limits.duplicateOrderWindowSeconds, ...Object.values(overrides).map((o) => o.duplicateOrderWindowSeconds ?? 0)];
  const history = options.history ?? memoryHistory(limits.dailyLossResetTime, Math.max(...windows) * 1000);
  /**
   * Whether placements and modifications are counted in `history`. With a store they count themselves
   * (its rows, read by historyFacts) and the default memory is never read: writing it anyway cost every
   * order a canonical spec text and a scan of the duplicate guard before transmit, and held a day of
   * placement times. A history given explicitly is always written.
   */
  const countsInMemory = options.history !== undefined || options.store === undefined;

  /**
   * The loss today: realised P&L of today's fills (from the order history,
   * when the history knows fills) plus the broker's unrealised P&L. Falls
   * back to the broker's realised figure without a store.
   */
  const lossToday = (pnl: AccountPnL, realized: Decimal | null) => dailyLoss(realized === null ? pnl : { ...pnl, realizedPnl: realized.toNumber() });
  /** Today's P&L, signed (the desk sums these across accounts). */
  const pnlToday = (pnl: AccountPnL, realized: Decimal | null) => (realized ?? new Decimal(pnl.realizedPnl)).plus(pnl.unrealizedPnl);

  /** Where the circuit breaker's count is kept: the store when there is one. */
  const streaks = options.store ?? {
    rejectionStreak: async () => history.rejectionStreak(),
    setRejectionStreak: async (count: number, _correlationId?: string) => history.setRejectionStreak(count),
  };
  let outcomes: Promise<unknown> = Promise.resolve();
  async function countOutcome(outcome: 'accepted' | 'rejected', correlationId: string | undefined): Promise<boolean> {
    if (limits.circuitBreakerRejections === 0) return false;
    const streak = await streaks.rejectionStreak();
    if (outcome === 'accepted') {
      if (streak !== 0) await streaks.setRejectionStreak(0, correlationId);
      return false;
    }
    const tripped = streak + 1 >= limits.circuitBreakerRejections;
    await streaks.setRejectionStreak(tripped ? 0 : streak + 1, correlationId);
    return tripped;
  }

  /**
   * The account whose own messages a rate check counts, when the file gives it that rate (else every
   * account's are counted). Without a store the memory counts every account's: stricter, never looser.
   */
  const ownRate = (accountId: string, field: 'maxOrdersPerMinute' | 'maxOrdersPerDay'): string | undefined =>
    options.store && accounts[accountId]?.[field] !== undefined ? accountId : undefined;

  /** The facts from this engine's memory (no store). */
  const memoryFacts = (spec: OrderSpec, accountId: string, now: number, resetTime: string): HistoryFacts => ({
    placedLastMinute: history.placedLastMinute(now),
    placedToday: history.placedSince(riskDayStart(now, resetTime), now),
    sinceIdentical: history.sinceIdentical(spec, accountId, now),
    realizedToday: history.realizedSince(accountId, riskDayStart(now, resetTime)),
  });

  const limitsFor = (symbol: string, accountId?: string): RiskLimits => {
    const key = symbol.trim().toUpperCase();
    return limitsForAccountAndSymbol(limits, accountId === undefined ? undefined : accounts[accountId], key, overrides[key]);
  };

  /** The order's own symbol wins; then the contract's (an option's underlying), so either key in the file applies. */
  const limitsForInput = (input: Pick<RiskInput, 'spec' | 'contract' | 'accountId'>): RiskLimits => {
    const key = symbolsOf(input).find((s) => overrides[s] !== undefined);
    return limitsFor(key ?? '', input.accountId);
  };

  return {
    limitsFor,
    desk: desk ?? null,

    async historyFacts(input: Pick<RiskInput, 'spec' | 'accountId' | 'now' | 'contract'> & { riskKey?: string }): Promise<HistoryFacts> {
      const l = limitsForInput(input);
      if (!options.store) return memoryFacts(input.spec, input.accountId, input.now, l.dailyLossResetTime);
      const store = options.store;
      const dayStart = riskDayStart(input.now, l.dailyLossResetTime);
      const own = accounts[input.accountId];
      // Only what the file asks for: without desk limits or account rates the order path reads nothing more.
      const [facts, desk, minute, day] = await Promise.all([
        store.facts(input.spec, input.accountId, input.now, dayStart, input.riskKey),
        deskLimited ? store.exposures() : undefined,
        own?.maxOrdersPerMinute !== undefined ? store.accountMessages(input.accountId, input.now - 60_000, false, input.now) : undefined,
        own?.maxOrdersPerDay !== undefined ? store.accountMessages(input.accountId, dayStart, true, input.now) : undefined,
      ]);
      return {
        ...facts,
        ...(desk === undefined ? {} : { desk }),
        ...(minute === undefined ? {} : { placedLastMinute: minute }),
        ...(day === undefined ? {} : { placedToday: day }),
      };
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
        checkOrdersPerMinute(h.placedLastMinute, l, ownRate(input.accountId, 'maxOrdersPerMinute')),
        checkOrdersPerDay(h.placedToday, l, ownRate(input.accountId, 'maxOrdersPerDay')),
        checkDuplicate(h.sinceIdentical, l),
        ...(desk?.maxGrossExposure !== undefined ? [checkDeskGrossExposure(input, e, { ...desk, maxGrossExposure: desk.maxGrossExposure }, h.desk ?? [])] : []),
        ...(desk?.maxDailyLoss !== undefined ? [checkDeskDailyLoss(input, pnlToday(input.pnl, h.realizedToday), { ...desk, maxDailyLoss: desk.maxDailyLoss }, h.desk ?? [])] : []),
      ];
    },

    recordPlaced(spec: OrderSpec, accountId: string, now: number): void {
      if (countsInMemory) history.record(spec, accountId, now);
    },

    recordModified(now: number): void {
      if (countsInMemory) history.recordModification(now);
    },

    /**
     * The count lives in the store in a gateway (every process and a restart continue one streak;
     * the engine's memory without one). It restarts after tripping, so a released kill switch needs
     * N fresh rejections to trip again. An accepted order writes only when it ends a streak: the
     * order path pays one read. Outcomes are counted one after another, so two answers arriving
     * together in this process never both read n and write n+1.
     */
    recordOutcome(outcome: 'accepted' | 'rejected', correlationId?: string): Promise<boolean> {
      const next = outcomes.then(() => countOutcome(outcome, correlationId));
      outcomes = next.catch(() => undefined);
      return next;
    },

    async realizedToday(accountId: string, now: number): Promise<Decimal | null> {
      const dayStart = riskDayStart(now, limits.dailyLossResetTime);
      return options.store ? options.store.realizedSince(accountId, dayStart) : history.realizedSince(accountId, dayStart);
    },

    dailyLossBreached(pnl: AccountPnL, realizedToday: Decimal | null = null): boolean {
      return lossToday(pnl, realizedToday).greaterThanOrEqualTo(decimalOf(limitsFor('', pnl.accountId).maxDailyLoss));
    },
  };
}
