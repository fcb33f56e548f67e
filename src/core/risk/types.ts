/**
 * Pre-trade risk: what the order path asks of the risk engine.
 *
 * Every order, from whatever interface, is evaluated here before the safety
 * gates decide whether to transmit. `evaluate` is side-effect free, so preview
 * can report every check; `recordPlaced` is called once an order has been
 * accepted by the gateway (transmitted or SIMULATED), feeding the rate and
 * duplicate guards.
 *
 * A check whose input is unknown (no price for a notional, no last price for
 * the price band) fails with a message naming what is missing, rather than
 * passing an order whose size nobody could measure. The implementation is
 * createRiskEngine in engine.ts; check names are listed in check-names.ts.
 */
import type { Decimal } from 'decimal.js';
import type { RiskLimits } from '../config.js';
import type { HistoryFacts } from './history.js';
import type { DeskLimits } from './risk-file.js';
import type { AccountPnL, AccountSummary, Contract, OrderSpec, Position, RiskCheck } from '../models.js';

export interface WorkingOrderExposure {
  conId: number;
  action: 'BUY' | 'SELL';
  remainingQuantity: number;
  /**
   * Estimated notional of the remaining quantity (account currency), if the
   * caller knows it. Optional: working orders in other instruments count
   * toward gross exposure only when it is given (their prices are not in the input).
   */
  notional?: number;
}

export interface RiskInput {
  spec: OrderSpec;
  contract: Contract;
  accountId: string;
  /** Price used for notional: the limit/stop price, or the touch for market orders; null if unknown. */
  referencePrice: number | null;
  /** Last traded (or mid) price, for the price band; null if unknown. */
  lastPrice: number | null;
  positions: Position[];
  summary: AccountSummary;
  pnl: AccountPnL;
  /** Orders still working at the broker, counted toward position and exposure limits. */
  workingOrders: WorkingOrderExposure[];
  /** Milliseconds since the epoch (the injected clock). */
  now: number;
  /** Earlier orders, from RiskEngine.historyFacts (default: the engine's memory, when it has no store). */
  history?: HistoryFacts;
}

export interface RiskEngine {
  /** The limits in force for a symbol (base limits with RISK_FILE overrides applied), in an account when given ('' : no symbol's overrides). */
  limitsFor(symbol: string, accountId?: string): RiskLimits;
  /** The risk file's desk section, or null: publisher.ts publishes exposure only when the desk is limited. */
  readonly desk: DeskLimits | null;
  /**
   * What the rate, duplicate and daily-loss checks need from earlier orders (read from the store in a gateway).
   * `riskKey`: riskKeyOf(spec, accountId) when the caller has it already (the order path stores it on the placement too).
   */
  historyFacts(input: Pick<RiskInput, 'spec' | 'accountId' | 'now' | 'contract'> & { riskKey?: string }): Promise<HistoryFacts>;
  /** Every check, passed or not, with its value and limit (`input.history`: from historyFacts(); required with a store). */
  evaluate(input: RiskInput): RiskCheck[];
  /** Counts an order the gateway accepted (rate limits, duplicate guard). */
  recordPlaced(spec: OrderSpec, accountId: string, now: number): void;
  /** Counts a modification sent or simulated: an order message for the rate limits (not the duplicate guard). */
  recordModified(now: number): void;
  /**
   * Tracks consecutive rejections (in the store with one); resolves true when the circuit breaker should engage the kill switch.
   * `correlationId`: the request whose order had this outcome, for the state row the count writes.
   */
  recordOutcome(outcome: 'accepted' | 'rejected', correlationId?: string): Promise<boolean>;
  /** Today's realised P&L from the order history (null when the history does not know fills). */
  realizedToday(accountId: string, now: number): Promise<Decimal | null>;
  /**
   * True when today's loss (realised + unrealised) has reached MAX_DAILY_LOSS.
   * `realizedToday` (from realizedToday()) replaces the broker's realised figure when given.
   */
  dailyLossBreached(pnl: AccountPnL, realizedToday?: Decimal | null): boolean;
}
