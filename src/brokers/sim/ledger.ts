/**
 * The simulated account's books: cash, positions, realised P&L and margin.
 *
 * All money is decimal. Conventions follow IBKR:
 * - average cost includes commissions, and realised P&L is net of them
 *   (IBKR's average-cost method: a closing trade realises
 *   proceeds - average cost x closed quantity - its own commission);
 * - stocks, options and FX settle in cash (cash pays the trade value); futures
 *   do not: cash pays only commissions, and realised gains or losses when a
 *   position is reduced; the open futures P&L counts in net liquidation;
 * - Reg T margin: 50% initial / 25% maintenance on stocks (30% for shorts),
 *   100% of premium for long options, a fixed amount per futures contract.
 *
 * The whole account is kept in USD: a trade quoted in another currency
 * (USD.JPY) is converted at the rate of the moment of the fill, and marked at
 * the current rate.
 */
import { Decimal } from 'decimal.js';
import type { Contract } from '../../core/models.js';
import type { InstrumentClass, MarginRule } from './catalogue.js';

const ZERO = new Decimal(0);

export interface LedgerPosition {
  conId: number;
  contract: Contract;
  cls: InstrumentClass;
  /** Signed quantity; negative is short. */
  quantity: Decimal;
  /** Signed cost basis in USD without commissions (quantity x price x multiplier x FX at the fills). */
  grossCost: Decimal;
  /** Opening commissions still carried by the open quantity. */
  commissionCost: Decimal;
  /** Realised P&L (net of commissions) since the account was reset. */
  realized: Decimal;
  openedAt: string;
}

export interface LedgerTotals {
  startingCash: Decimal;
  cash: Decimal;
  /** Every commission ever charged. */
  commissions: Decimal;
  /** Realised P&L before commissions (the part that moved cash for futures, or cost vs proceeds for the rest). */
  realizedGross: Decimal;
}

export interface FillInput {
  contract: Contract;
  cls: InstrumentClass;
  side: 'BUY' | 'SELL';
  quantity: Decimal;
  price: Decimal;
  /** USD per unit of the contract's currency at the fill. */
  fxRate: Decimal;
  commission: Decimal;
  time: string;
}

export interface FillEffect {
  /** IBKR-style realised P&L of this fill, null when it only opened or added to a position. */
  realizedPnl: Decimal | null;
  position: LedgerPosition;
}

/** Current price of a position's instrument, and what margin needs to know about it. */
export interface Mark {
  price: number;
  /** USD per unit of the contract's currency now. */
  fx: number;
  margin: MarginRule;
  /** Options: the underlying's price (short option margin). */
  underlyingPrice?: number;
}

export interface PositionValuation {
  position: LedgerPosition;
  markPrice: Decimal | null;
  marketValue: Decimal | null;
  unrealized: Decimal | null;
  avgCost: Decimal;
  initMargin: Decimal;
  maintMargin: Decimal;
}

export interface AccountValuation {
  cash: Decimal;
  netLiquidation: Decimal;
  equityWithLoan: Decimal;
  grossPositionValue: Decimal;
  initMargin: Decimal;
  maintMargin: Decimal;
  availableFunds: Decimal;
  excessLiquidity: Decimal;
  buyingPower: Decimal;
  unrealized: Decimal;
  realized: Decimal;
  positions: PositionValuation[];
}

const cashSettled = (cls: InstrumentClass): boolean => cls !== 'future';

export class Ledger {
  readonly totals: LedgerTotals;
  private readonly positions = new Map<number, LedgerPosition>();

  constructor(totals: LedgerTotals, positions: LedgerPosition[] = []) {
    this.totals = { ...totals };
    for (const p of positions) this.positions.set(p.conId, { ...p });
  }

  static fresh(startingCash: Decimal.Value): Ledger {
    const c = new Decimal(startingCash);
    return new Ledger({ startingCash: c, cash: c, commissions: ZERO, realizedGross: ZERO });
  }

  clone(): Ledger {
    return new Ledger(this.totals, [...this.positions.values()]);
  }

  /** All positions, flat ones included (they keep their realised P&L). */
  allPositions(): LedgerPosition[] {
    return [...this.positions.values()];
  }

  openPositions(): LedgerPosition[] {
    return this.allPositions().filter((p) => !p.quantity.isZero());
  }

  position(conId: number): LedgerPosition | undefined {
    return this.positions.get(conId);
  }

  applyFill(fill: FillInput): FillEffect {
    const mult = new Decimal(fill.contract.multiplier ?? 1);
    const signed = fill.side === 'BUY' ? fill.quantity : fill.quantity.neg();
    const unitValue = fill.price.times(mult).times(fill.fxRate);
    const existing = this.positions.get(fill.contract.conId);
    const pos: LedgerPosition = existing
      ? { ...existing }
      : { conId: fill.contract.conId, contract: fill.contract, cls: fill.cls, quantity: ZERO, grossCost: ZERO, commissionCost: ZERO, realized: ZERO, openedAt: fill.time };

    let realizedGross = ZERO;
    let realizedNet: Decimal | null = null;
    const sameDirection = pos.quantity.isZero() || pos.quantity.isPositive() === signed.isPositive();
    if (sameDirection) {
      if (pos.quantity.isZero()) pos.openedAt = fill.time;
      pos.grossCost = pos.grossCost.plus(signed.times(unitValue));
      pos.commissionCost = pos.commissionCost.plus(fill.commission);
    } else {
      const held = pos.quantity.abs();
      const closeQty = Decimal.min(fill.quantity, held);
      const whole = closeQty.eq(held);
      // Closing the whole position takes its whole cost, so no division residue is left behind.
      const costPart = whole ? pos.grossCost : pos.grossCost.times(closeQty).dividedBy(held);
      const commPart = whole ? pos.commissionCost : pos.commissionCost.times(closeQty).dividedBy(held);
      const closeCommission = closeQty.eq(fill.quantity) ? fill.commission : fill.commission.times(closeQty).dividedBy(fill.quantity);
      const direction = pos.quantity.isPositive() ? 1 : -1;
      realizedGross = closeQty.times(unitValue).times(direction).minus(costPart);
      realizedNet = realizedGross.minus(commPart).minus(closeCommission);
      pos.grossCost = pos.grossCost.minus(costPart);
      pos.commissionCost = pos.commissionCost.minus(commPart);
      const opening = fill.quantity.minus(closeQty);
      if (opening.gt(0)) {
        // The fill crossed through flat: the rest opens a position the other way.
        pos.grossCost = (fill.side === 'BUY' ? opening : opening.neg()).times(unitValue);
        pos.commissionCost = fill.commission.minus(closeCommission);
        pos.openedAt = fill.time;
      }
      pos.realized = pos.realized.plus(realizedNet);
    }
    pos.quantity = pos.quantity.plus(signed);
    if (pos.quantity.isZero()) {
      pos.grossCost = ZERO;
      pos.commissionCost = ZERO;
    }
    this.positions.set(pos.conId, pos);

    this.totals.commissions = this.totals.commissions.plus(fill.commission);
    this.totals.realizedGross = this.totals.realizedGross.plus(realizedGross);
    let cash = this.totals.cash.minus(fill.commission);
    cash = cashSettled(fill.cls) ? cash.minus(signed.times(unitValue)) : cash.plus(realizedGross);
    this.totals.cash = cash;
    return { realizedPnl: realizedNet, position: pos };
  }

  /** Values every open position at its mark and derives the account's IBKR-style figures. */
  valuation(markOf: (p: LedgerPosition) => Mark | null): AccountValuation {
    let nlv = this.totals.cash;
    let gpv = ZERO;
    let init = ZERO;
    let maint = ZERO;
    let unrealizedTotal = ZERO;
    let realizedTotal = ZERO;
    const out: PositionValuation[] = [];
    for (const p of this.allPositions()) realizedTotal = realizedTotal.plus(p.realized);
    for (const p of this.openPositions()) {
      const mark = markOf(p);
      const mult = new Decimal(p.contract.multiplier ?? 1);
      const basis = p.grossCost.plus(p.commissionCost);
      const avgCost = basis.dividedBy(p.quantity).dividedBy(p.cls === 'future' || p.cls === 'option' ? 1 : mult);
      if (!mark) {
        out.push({ position: p, markPrice: null, marketValue: null, unrealized: null, avgCost, initMargin: ZERO, maintMargin: ZERO });
        continue;
      }
      const price = new Decimal(mark.price);
      const mv = p.quantity.times(price).times(mult).times(mark.fx);
      const unrealized = mv.minus(basis);
      unrealizedTotal = unrealizedTotal.plus(unrealized);
      if (cashSettled(p.cls)) {
        nlv = nlv.plus(mv);
        gpv = gpv.plus(mv.abs());
      } else {
        nlv = nlv.plus(mv.minus(p.grossCost));
      }
      const { initial, maintenance } = marginOf(p, mv, mark);
      init = init.plus(initial);
      maint = maint.plus(maintenance);
      out.push({ position: p, markPrice: price, marketValue: mv, unrealized, avgCost, initMargin: initial, maintMargin: maintenance });
    }
    const availableFunds = nlv.minus(init);
    return {
      cash: this.totals.cash,
      netLiquidation: nlv,
      equityWithLoan: nlv,
      grossPositionValue: gpv,
      initMargin: init,
      maintMargin: maint,
      availableFunds,
      excessLiquidity: nlv.minus(maint),
      // Reg T margin accounts report four times available funds (intraday buying power), as IBKR does.
      buyingPower: Decimal.max(availableFunds, 0).times(4),
      unrealized: unrealizedTotal,
      realized: realizedTotal,
      positions: out,
    };
  }
}

function marginOf(p: LedgerPosition, mv: Decimal, mark: Mark): { initial: Decimal; maintenance: Decimal } {
  const qty = p.quantity.abs();
  const rule = mark.margin;
  switch (p.cls) {
    case 'future':
      return { initial: qty.times(rule.initialPerContract ?? 0), maintenance: qty.times(rule.maintenancePerContract ?? 0) };
    case 'option': {
      if (p.quantity.isPositive()) return { initial: mv.abs(), maintenance: mv.abs() };
      // Short options: premium plus 20% of the underlying's value (Reg T's naked option rule, without the OTM credit).
      const underlying = qty.times(p.contract.multiplier ?? 100).times(mark.underlyingPrice ?? mark.price).times(mark.fx);
      const req = mv.abs().plus(underlying.times('0.2'));
      return { initial: req, maintenance: req };
    }
    default: {
      const initialRate = rule.initialRate ?? 0.5;
      const maintRate = p.quantity.isNegative() && p.cls === 'equity' ? Math.max(0.3, rule.maintenanceRate ?? 0.25) : (rule.maintenanceRate ?? 0.25);
      return { initial: mv.abs().times(initialRate), maintenance: mv.abs().times(maintRate) };
    }
  }
}
