/**
 * What an order would do to the account before it is sent: the what-if
 * estimate (commission, margin change, equity and buying power after) and
 * IBKR's initial-margin check that order admission applies.
 */
import { Decimal } from 'decimal.js';
import { toCents } from '../../core/money.js';
import type { Contract, OrderSpec } from '../../core/models.js';
import type { WhatIfResult } from '../../core/broker/port.js';
import type { Instrument } from './catalogue.js';
import { chargeCurrency, inChargeCurrency, usdPerUnit, type ChargeCurrency } from './charges.js';
import { executionFees, orderCommission } from './commissions.js';
import { decimalOf, times } from './decimals.js';
import type { AccountValuation } from './ledger.js';
import { bookOf, type SimMarketData } from './market-data.js';
import { effectiveOutsideRth, isMarketable } from './matching.js';
import { canExecute } from './sessions.js';
import type { SimState } from './state.js';
import type { AccountValuer } from './valuation.js';
import { isoTime } from './iso-time.js';

export class MarginCheck {
  constructor(
    private readonly sim: SimState,
    private readonly prices: SimMarketData,
    private readonly account: AccountValuer,
  ) {}

  /** The price an estimate uses: the limit (or stop), else the side of the book a market order takes. */
  referencePrice(inst: Instrument, spec: OrderSpec, t: number): number {
    if (spec.limitPrice !== undefined) return spec.limitPrice;
    if (spec.stopPrice !== undefined) return spec.stopPrice;
    const touch = this.sim.market.touch(inst, t);
    if (inst.cls === 'index') return touch.last;
    return spec.action === 'BUY' ? touch.ask : touch.bid;
  }

  /** What the whole order filling at `price` would be charged (in `charge.currency`), with the figures it was worked out from. */
  private charges(inst: Instrument, spec: OrderSpec, price: number, t: number): { quantity: Decimal; px: Decimal; fx: Decimal; commission: Decimal; fees: Decimal; charge: ChargeCurrency } {
    const fx = decimalOf(this.prices.fxRate(inst.contract.currency, t));
    const quantity = decimalOf(spec.quantity);
    const px = decimalOf(price);
    const valueUsd = times(times(quantity.times(px), decimalOf(inst.contract.multiplier ?? 1)), usdPerUnit(inst, this.prices, t));
    const plan = this.sim.options.commissionPlan ?? 'fixed';
    const brokerCommission = orderCommission({ cls: inst.cls, symbol: inst.contract.symbol, quantity, valueUsd, price: px, plan });
    const fees = executionFees({ cls: inst.cls, symbol: inst.contract.symbol, side: spec.action, quantity, valueUsd, commission: brokerCommission, plan, at: t });
    const charge = chargeCurrency(inst, this.prices, this.account.ledger.base, t);
    const commission = inChargeCurrency(brokerCommission.plus(fees.total), charge, this.prices, t);
    return { quantity, px, fx, commission, fees: fees.total, charge };
  }

  /** The account before and after the whole order fills at `price`, with its commission and the currency it is charged in. */
  project(inst: Instrument, spec: OrderSpec, price: number, t: number): { before: AccountValuation; after: AccountValuation; commission: Decimal; commissionCurrency: string; base: string } {
    const { quantity, px, fx, commission, fees, charge } = this.charges(inst, spec, price, t);
    const before = this.account.valuation();
    const clone = this.account.ledger.clone();
    clone.applyFill({
      contract: inst.contract, cls: inst.cls, side: spec.action, quantity, price: px, fxRate: fx, time: isoTime(t),
      commission, fees: inChargeCurrency(fees, charge, this.prices, t), commissionCurrency: charge.currency, commissionRate: charge.rate,
    });
    return { before, after: clone.valuation(this.account.markOf(t), this.account.rateOf(t)), commission, commissionCurrency: charge.currency, base: this.account.ledger.base };
  }

  /**
   * IBKR's initial-margin check of an order being placed at `price`: why it is refused, or null. The same answer
   * as buyingPowerProblem over project(), which values the whole account again after the order; an order that
   * certainly passes (stockFillCannotExhaust) is let through without that.
   */
  admissionProblem(inst: Instrument, spec: OrderSpec, price: number, t: number): string | null {
    if (inst.cls === 'equity' && !this.account.ledger.holdsOptions()) {
      const { quantity, px, fx, commission, charge } = this.charges(inst, spec, price, t);
      const mark = decimalOf(this.sim.market.touch(inst, t).last);
      const fill = { quantity, price: px, multiplier: decimalOf(inst.contract.multiplier ?? 1), fx, mark, initialRate: decimalOf(inst.margin.initialRate ?? 0.5), commissionInBase: commission.times(charge.rate) };
      // At most the available funds: after the turn's earlier fills, a floor rather than a new valuation (valuation.ts).
      if (stockFillCannotExhaust(this.account.availableFundsAtMost(), fill)) return null;
    }
    const { before, after, base } = this.project(inst, spec, price, t);
    return buyingPowerProblem(before, after, base);
  }

  async whatIf(contract: Contract, spec: OrderSpec, accountId: string): Promise<WhatIfResult> {
    this.sim.requireStore();
    this.sim.requireAccount(accountId);
    const inst = this.sim.instrument(contract);
    const now = this.sim.clock.now();
    const warnings: string[] = [];
    if (inst.cls === 'index') {
      return { referencePrice: null, estimatedCommission: null, commissionCurrency: 'USD', initMarginChange: null, maintMarginChange: null, equityWithLoanAfter: null, buyingPowerAfter: null, warnings: ['Indices cannot be traded; trade a future, an ETF or options on the index instead'] };
    }
    const price = this.referencePrice(inst, spec, now);
    const { before, after, commission, commissionCurrency, base } = this.project(inst, spec, price, now);
    if (!canExecute(inst.schedule, this.sim.options.session, now, effectiveOutsideRth(spec, inst.cls))) warnings.push('The market is closed for this order now; it would wait for the next session');
    const touch = this.sim.market.touch(inst, now);
    if (spec.orderType === 'LMT' && spec.limitPrice !== undefined && !isMarketable(bookOf(touch, inst), spec.action, spec.limitPrice)) warnings.push('The limit is away from the market: the order would rest');
    const displayed = spec.action === 'BUY' ? touch.askSize : touch.bidSize;
    if (spec.quantity > displayed) warnings.push(`Quantity ${spec.quantity} exceeds the displayed size ${displayed}: expect partial fills or slippage`);
    const rejection = buyingPowerProblem(before, after, base);
    if (rejection) warnings.push(rejection);
    return {
      referencePrice: price,
      estimatedCommission: toCents(commission),
      commissionCurrency,
      initMarginChange: toCents(after.initMargin.minus(before.initMargin)),
      maintMarginChange: toCents(after.maintMargin.minus(before.maintMargin)),
      equityWithLoanAfter: toCents(after.equityWithLoan),
      buyingPowerAfter: toCents(after.buyingPower),
      warnings,
    };
  }
}

/** A stock fill as the admission check bounds it: all in Decimals, `fx` and `commissionInBase` in the base currency. */
export interface StockFill {
  quantity: Decimal;
  price: Decimal;
  multiplier: Decimal;
  /** Base currency per unit of the stock's currency (the rate its cash and its mark are valued at). */
  fx: Decimal;
  /** The position's mark (the last trade, as valuation marks stocks). */
  mark: Decimal;
  initialRate: Decimal;
  commissionInBase: Decimal;
}

/**
 * Whether a stock fill certainly leaves available funds >= 0, so the initial-margin check passes whatever the
 * fill adds. Holds only while the account holds no options (shares could cover short options, whose margin would
 * then move too): a stock's margin is then its own position's |market value| x initial rate, and the fill changes
 * nothing else. Filling q at `price` against a mark m (both x multiplier, in base at fx):
 * - net liquidation moves by +/-q x (m - price) - commission (cash pays the trade, the position is marked at m);
 * - initial margin grows by at most q x m x initialRate (|quantity| grows by at most q).
 * So available funds fall by at most q x (|m - price| + m x initialRate) + commission. Twice that must be
 * available before: the slack covers any rounding of the exact figures (decimal.js keeps 20 digits).
 */
export function stockFillCannotExhaust(availableFunds: Decimal, f: StockFill): boolean {
  const perUnit = f.mark.minus(f.price).abs().plus(f.mark.abs().times(f.initialRate));
  const worst = times(times(f.quantity, f.multiplier), f.fx).times(perUnit).plus(f.commissionInBase.abs());
  return availableFunds.gte(worst.times(2));
}

/** IBKR's initial margin check: an order that adds margin must leave available funds >= 0. */
export function buyingPowerProblem(before: AccountValuation, after: AccountValuation, base = 'USD'): string | null {
  if (after.initMargin.lte(before.initMargin) || after.availableFunds.gte(0)) return null;
  return (
    `Insufficient buying power: this order needs ${fmt(after.initMargin.minus(before.initMargin))} ${base} more initial margin, ` +
    `leaving available funds at ${fmt(after.availableFunds)} ${base} (equity with loan ${fmt(after.equityWithLoan)} ${base}, initial margin ${fmt(after.initMargin)} ${base})`
  );
}

const fmt = (d: Decimal): string => d.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
