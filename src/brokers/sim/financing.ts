/**
 * Financing, accrued for each New York day that ends: interest on a USD debit
 * balance (benchmark + IBKR Pro's tiered spread), interest on a USD credit
 * balance above the threshold (benchmark − spread), and the borrow fee of
 * short stock positions; actual/360, rates in fee-schedule.ts. Each day's
 * amount is booked into cash at once (IBKR accrues daily and posts monthly;
 * the simulator posts daily, so the balance the next day's interest is
 * charged on already includes it) and itemised in the totals. Only USD
 * balances earn or pay interest here.
 */
import { Decimal } from 'decimal.js';
import { FEES, feeRate } from './fee-schedule.js';
import { etToUtc, toEt } from './sessions.js';
import type { SimState } from './state.js';
import type { AccountValuer } from './valuation.js';

const ZERO = new Decimal(0);

/** A year's interest on a debit of `owed` (positive), by IBKR Pro's USD tiers. */
export function debitInterestPerYear(owed: Decimal): Decimal {
  const bm = feeRate(FEES.usdBenchmark);
  const tiers: Array<[Decimal, Decimal]> = [
    [new Decimal(100_000), bm.plus(feeRate(FEES.debitSpreadTier1))],
    [new Decimal(1_000_000), bm.plus(feeRate(FEES.debitSpreadTier2))],
    [new Decimal(Infinity), bm.plus(feeRate(FEES.debitSpreadTier3))],
  ];
  let rest = owed;
  let floor = ZERO;
  let total = ZERO;
  for (const [ceiling, rate] of tiers) {
    const part = Decimal.min(rest, ceiling.minus(floor));
    if (part.lte(0)) break;
    total = total.plus(part.times(rate));
    rest = rest.minus(part);
    floor = ceiling;
  }
  return total;
}

/** A year's interest on a credit balance: above the threshold, at the benchmark less the spread. */
export function creditInterestPerYear(balance: Decimal): Decimal {
  const rate = Decimal.max(0, feeRate(FEES.usdBenchmark).minus(feeRate(FEES.creditSpread)));
  return Decimal.max(0, balance.minus(feeRate(FEES.creditThreshold))).times(rate);
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
    const days = new Decimal(feeRate(FEES.dayCount));
    for (let day = Number(lastDone) + 1; day < today; day++) {
      store.transaction(() => {
        const dayEnd = etToUtc(day + 1, 0);
        const cash = this.account.ledger.cashIn(this.account.ledger.base);
        let amount = cash.isNegative() ? debitInterestPerYear(cash.neg()).neg() : creditInterestPerYear(cash);
        const v = this.account.valuationAt(Math.min(dayEnd, t));
        for (const pv of v.positions) {
          if (pv.position.cls !== 'equity' || !pv.position.quantity.isNegative() || !pv.marketValue) continue;
          amount = amount.minus(pv.marketValue.abs().times(feeRate(FEES.shortBorrowFee)));
        }
        const daily = amount.dividedBy(days).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
        if (!daily.isZero()) {
          this.account.bookInterest(this.account.ledger.base, daily);
          store.saveTotals(this.account.ledger.totals);
        }
        store.setMeta('financed_through', String(day));
      });
    }
  }
}
