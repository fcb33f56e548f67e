/**
 * Financing, accrued for each New York day that ends: every currency's cash
 * balance pays interest on a debit (its benchmark + IBKR Pro's tiered spread)
 * or earns it on a credit above its threshold (benchmark − spread), with that
 * currency's own rates and day count (interest-rates.ts), and short stock pays
 * its borrow fee in the stock's currency. Each amount is booked into the cash
 * of its currency at once (IBKR accrues daily and posts monthly; the simulator
 * posts daily, so the balance the next day's interest is charged on already
 * includes it) and itemised in the totals in the base currency.
 */
import { Decimal } from 'decimal.js';
import { FEES, feeRate } from './fee-schedule.js';
import { minorUnits } from './charges.js';
import { dailyInterest, financingOf } from './interest-rates.js';
import { etToUtc, toEt } from './sessions.js';
import type { SimState } from './state.js';
import type { AccountValuation } from './ledger.js';
import type { AccountValuer } from './valuation.js';

/** One day's interest and borrow fees per currency (negative: paid), in each currency. */
export function dayCharges(v: AccountValuation): Map<string, Decimal> {
  const out = new Map<string, Decimal>();
  const add = (currency: string, amount: Decimal): void => {
    out.set(currency, (out.get(currency) ?? new Decimal(0)).plus(amount));
  };
  for (const b of v.cashBalances) {
    const f = financingOf(b.currency);
    if (f) add(b.currency, dailyInterest(b.amount, f));
  }
  for (const pv of v.positions) {
    const p = pv.position;
    if (p.cls !== 'equity' || !p.quantity.isNegative() || !pv.markPrice) continue;
    // The fee is on the short's value in its own currency, by that currency's day count.
    const f = financingOf(p.contract.currency);
    const days = f ? new Decimal(f.dayCount.value) : new Decimal(360);
    const value = p.quantity.abs().times(pv.markPrice).times(p.contract.multiplier ?? 1);
    add(p.contract.currency, value.times(feeRate(FEES.shortBorrowFee)).dividedBy(days).toDecimalPlaces(minorUnits(p.contract.currency), Decimal.ROUND_HALF_UP).neg());
  }
  return out;
}

export class Financing {
  constructor(
    private readonly sim: SimState,
    private readonly account: AccountValuer,
  ) {}

  /** Accrues every New York day that ended at or before `t` and was not accrued yet. */
  accrueUpTo(t: number): void {
    const store = this.sim.requireStore();
    const lastDone = store.meta('financed_through');
    const today = toEt(t).day;
    // A fresh account starts accruing from the day it first sees.
    if (lastDone === null) {
      store.setMeta('financed_through', String(today - 1));
      return;
    }
    for (let day = Number(lastDone) + 1; day < today; day++) {
      store.transaction(() => {
        const at = Math.min(etToUtc(day + 1, 0), t);
        const v = this.account.valuationAt(at);
        const rates = new Map(v.cashBalances.map((b) => [b.currency, b.rate]));
        let booked = false;
        for (const [currency, amount] of dayCharges(v)) {
          if (amount.isZero()) continue;
          this.account.bookInterest(currency, amount, rates.get(currency) ?? new Decimal(this.account.rateOf(at)(currency)));
          booked = true;
        }
        if (booked) store.saveTotals(this.account.ledger.totals);
        store.setMeta('financed_through', String(day));
      });
    }
  }
}
