/**
 * One open position valued at its mark (ledger.ts sums these into the
 * account's figures), and the values kept per position between valuations.
 *
 * A valuation follows every fill (the daily-loss check asks for the P&L), yet
 * a fill changes one position: the others were valued again from the very
 * same figures, an average-cost division and a dozen products each. A ledger
 * position is never changed in place (a fill or a settlement stores a new
 * object), so a position object valued at an equal mark has the same values
 * as last time, to the last digit, and the account's sums, taken in the same
 * order over the same operands, come out the same. Options are valued afresh
 * each time: their margin draws on the shares that cover them (option-margin.ts).
 */
import { Decimal } from 'decimal.js';
import { decimalOf, dividedByNumber, times } from './decimals.js';
import type { LedgerPosition, Mark, PositionValuation } from './ledger.js';
import { optionMargin, type ShareCover } from './option-margin.js';

const ZERO = new Decimal(0);

/** What one marked position adds to the account: its valuation, and its parts of net liquidation and gross position value (null: none). */
export interface PositionFigures {
  pv: PositionValuation;
  nlv: Decimal | null;
  gpv: Decimal | null;
}

/** Whether two marks say the same about a position. */
export function sameMark(a: Mark, b: Mark): boolean {
  return a.price === b.price && a.fx === b.fx && a.margin === b.margin && a.underlyingPrice === b.underlyingPrice;
}

/** The average cost IBKR reports, in the contract's currency (the commissions, in the base currency, translated at `fx`). */
export function averageCost(p: LedgerPosition, fx: number): Decimal {
  const basis = p.grossCost.plus(dividedByNumber(p.commissionCost, fx));
  return dividedByNumber(basis.dividedBy(p.quantity), p.cls === 'future' || p.cls === 'option' ? 1 : (p.contract.multiplier ?? 1));
}

export function valuePosition(p: LedgerPosition, mark: Mark, cover: ShareCover): PositionFigures {
  const avgCost = averageCost(p, mark.fx);
  const price = decimalOf(mark.price);
  const fx = decimalOf(mark.fx);
  const mvLocal = times(p.quantity.times(price), decimalOf(p.contract.multiplier ?? 1));
  const mv = times(mvLocal, fx);
  // The P&L in the contract's currency, translated at today's rate, less the commissions (base currency) it carries.
  const unrealized = times(mvLocal.minus(p.grossCost), fx).minus(p.commissionCost);
  let nlv: Decimal | null = null;
  let gpv: Decimal | null = null;
  if (p.cls === 'fx') {
    // The pair's two cash balances already hold its value: counting the position too would count it twice.
    gpv = mv.abs();
  } else if (p.cls !== 'future') {
    // Cash-settled: the position's market value.
    nlv = mv;
    gpv = mv.abs();
  } else {
    // Futures: only the P&L since the last daily settlement; cash holds the rest.
    nlv = times(mvLocal.minus(p.grossCost).minus(p.variationSettled ?? ZERO), fx);
  }
  const { initial, maintenance } = p.cls === 'option' ? optionMargin(p, mv, mark, cover) : marginOf(p, mv, mark);
  return { pv: { position: p, markPrice: price, marketValue: mv, unrealized, avgCost, initMargin: initial, maintMargin: maintenance }, nlv, gpv };
}

/** The figures of each position object at the mark it was last valued at (weakly held: a replaced position goes). */
export class PositionValues {
  private readonly kept = new WeakMap<LedgerPosition, { mark: Mark; figures: PositionFigures }>();

  of(p: LedgerPosition, mark: Mark, cover: ShareCover): PositionFigures {
    if (p.cls === 'option') return valuePosition(p, mark, cover);
    const kept = this.kept.get(p);
    if (kept && sameMark(kept.mark, mark)) return kept.figures;
    const figures = valuePosition(p, mark, cover);
    this.kept.set(p, { mark, figures });
    return figures;
  }
}

function marginOf(p: LedgerPosition, mv: Decimal, mark: Mark): { initial: Decimal; maintenance: Decimal } {
  const qty = p.quantity.abs();
  const rule = mark.margin;
  switch (p.cls) {
    case 'future':
      return { initial: qty.times(decimalOf(rule.initialPerContract ?? 0)), maintenance: qty.times(decimalOf(rule.maintenancePerContract ?? 0)) };
    default: {
      const initialRate = rule.initialRate ?? 0.5;
      const maintRate = p.quantity.isNegative() && p.cls === 'equity' ? Math.max(0.3, rule.maintenanceRate ?? 0.25) : (rule.maintenanceRate ?? 0.25);
      const gross = mv.abs();
      return { initial: gross.times(decimalOf(initialRate)), maintenance: gross.times(decimalOf(maintRate)) };
    }
  }
}
