/**
 * Margin liquidation, as IBKR does it: when excess liquidity (net
 * liquidation minus maintenance margin) goes negative, positions are closed at
 * the market, the largest maintenance-margin contributor first, only as much
 * as cures the deficit, without waiting for the client. Each liquidation is a
 * fill with order id "0" and exchange "LIQUIDATION" (account-fills.ts), which
 * is how it is reported on the fill stream and in the executions.
 *
 * Only instruments whose market is open now are liquidated; the rest wait
 * for their session, as a real liquidation would.
 */
import { Decimal } from 'decimal.js';
import { bookAccountFills } from './account-fills.js';
import { usdPerUnit } from './charges.js';
import { executionFees, orderCommission } from './commissions.js';
import { canExecute } from './sessions.js';
import type { SimMarketData } from './market-data.js';
import type { SimState } from './state.js';
import type { AccountValuer } from './valuation.js';

/** Sell a little more than the bare deficit, so the spread and commission paid do not leave it a cent short. */
const CUSHION = new Decimal('1.05');
const MAX_STEPS = 50;

export class Liquidator {
  constructor(
    private readonly sim: SimState,
    private readonly prices: SimMarketData,
    private readonly account: AccountValuer,
  ) {}

  /** Liquidates until excess liquidity is back at or above zero (or nothing liquidable is left). */
  cure(t: number): void {
    const skipped = new Set<number>();
    for (let step = 0; step < MAX_STEPS; step++) {
      const v = this.account.valuation();
      if (v.excessLiquidity.gte(0)) return;
      const candidates = v.positions
        .filter((pv) => pv.maintMargin.gt(0) && !skipped.has(pv.position.conId))
        .sort((a, b) => b.maintMargin.comparedTo(a.maintMargin) || a.position.conId - b.position.conId);
      const worst = candidates[0];
      if (!worst) return;
      const inst = this.sim.instruments.forContract(worst.position.contract);
      if (!inst || inst.cls === 'index' || !canExecute(inst.schedule, this.sim.options.session, t, false)) {
        skipped.add(worst.position.conId);
        continue;
      }
      const held = worst.position.quantity.abs();
      const perUnit = worst.maintMargin.dividedBy(held);
      const lot = new Decimal(inst.cls === 'equity' ? 1 : inst.cls === 'fx' ? 1000 : 1);
      const wanted = v.excessLiquidity.neg().times(CUSHION).dividedBy(perUnit).dividedBy(lot).ceil().times(lot);
      const quantity = Decimal.min(held, Decimal.max(wanted, lot));
      const side = worst.position.quantity.isPositive() ? 'SELL' : 'BUY';
      const touch = this.sim.market.touch(inst, t);
      const price = new Decimal(side === 'SELL' ? touch.bid : touch.ask);
      const valueUsd = quantity.times(price).times(inst.contract.multiplier ?? 1).times(usdPerUnit(inst, this.prices, t));
      const plan = this.sim.options.commissionPlan ?? 'fixed';
      const brokerCommission = orderCommission({ cls: inst.cls, symbol: inst.contract.symbol, quantity, valueUsd, price, plan });
      const fees = executionFees({ cls: inst.cls, symbol: inst.contract.symbol, side, quantity, valueUsd, commission: brokerCommission, plan, at: t });
      bookAccountFills(this.sim, this.prices, this.account, 'LIQUIDATION', `${inst.contract.conId.toString(16)}s${step}`, [{ inst, side, quantity, price, commission: brokerCommission.plus(fees.total), fees: fees.total }], t);
    }
  }
}
