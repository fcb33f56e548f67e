/**
 * The account reports kept with the valuation they were made from (issue 18).
 *
 * Per order the gateway asks for the account summary, the positions and the
 * daily P&L (the assessment), and for the daily P&L again after the fill (the
 * daily-loss check). Between a fill and the next order the valuation is reused
 * while the marks stand still (valuation.ts), and each report is a pure
 * function of it and of a few more inputs: rounding a dozen figures to cents
 * and summing the day's P&L per symbol again gave the same report. A report is
 * reused only while the very valuation object it was made from is current
 * (a new ledger version or a moved mark makes a new one), and the daily P&L
 * also checks everything else it read. Callers get copies stamped with the
 * instant of the call, so nothing they do to one reaches the next.
 */
import type { AccountPnL, AccountSummary, Position } from '../../core/models.js';
import type { Instrument } from './catalogue.js';
import type { AccountValuation, Mark } from './ledger.js';

/** A report and the valuation (object) and account it was made for. */
export interface ReportMemo<R> {
  value: AccountValuation;
  accountId: string;
  report: R;
}

/** The daily P&L with what it read besides the valuation. */
export interface PnlMemo extends ReportMemo<AccountPnL> {
  /** The day's fills it summed (compared by identity: a new day or a reload is a new object) and how many. */
  day: object;
  fills: number;
  /** Marks of positions traded flat today (the valuation marks open positions only). */
  flatMarks: Map<number, Mark | null>;
  /** The previous close each row measured its day from (null: none, the mark was used). */
  closes: Array<{ inst: Instrument; close: number | null }>;
}

export function copySummary(s: AccountSummary, timestamp: string): AccountSummary {
  return { ...s, ...(s.cashBalances ? { cashBalances: s.cashBalances.map((b) => ({ ...b })) } : {}), timestamp };
}

export function copyPositions(positions: Position[]): Position[] {
  return positions.map((p) => ({ ...p }));
}

export function copyPnl(pnl: AccountPnL, timestamp: string): AccountPnL {
  return { ...pnl, bySymbol: pnl.bySymbol.map((r) => ({ ...r })), timestamp };
}
