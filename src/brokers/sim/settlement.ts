/**
 * What a fill implies, and how an order ends: the commission, the ledger and
 * the stored fill; a bracket parent's fill arms its children, a child's fill
 * shrinks or cancels its sibling, an OCA member's fill cancels the rest of its
 * group; an order that ends (cancelled, expired) settles its bracket.
 *
 * Each fill, with everything it implies (position, cash, bracket children
 * armed, OCA siblings cancelled), is one SQLite transaction, and so is each
 * ending with its bracket: a process killed at any instant leaves the account
 * as it was before or after, never half-way. Start-up repairs what older
 * versions, which wrote these separately, may have left (recovery.ts).
 */
import { toCents } from '../../core/money.js';
import { TERMINAL_STATUSES, type Fill, type OrderStatus } from '../../core/models.js';
import type { Instrument } from './catalogue.js';
import { chargeCurrency, inChargeCurrency, usdPerUnit } from './charges.js';
import { executionFees, fillCommission } from './commissions.js';
import { decimalOf, decimalOfText, times } from './decimals.js';
import { venueOf, type SimMarketData } from './market-data.js';
import type { Execution } from './matching.js';
import { cloneState, type SimState } from './state.js';
import type { SimOrderRecord } from './store.js';
import type { AccountValuer } from './valuation.js';
import { isoTime } from './iso-time.js';

export class Settlement {
  constructor(
    private readonly sim: SimState,
    private readonly prices: SimMarketData,
    private readonly account: AccountValuer,
  ) {}

  /** How much the order may still fill now (bracket children are limited by what their parent filled). */
  fillable(rec: SimOrderRecord): number {
    const remaining = rec.state.spec.quantity - rec.state.filledQuantity;
    if (rec.cap === null) return remaining;
    return Math.max(0, Math.min(remaining, rec.cap - rec.state.filledQuantity));
  }

  /** One execution: commission, ledger, persistence, events, then brackets and OCA. */
  execute(rec: SimOrderRecord, inst: Instrument, exec: Execution, t: number): void {
    const store = this.sim.requireStore();
    if (exec.quantity <= 0) return;
    const spec = rec.state.spec;
    const qty = decimalOf(exec.quantity);
    const price = decimalOf(exec.price);
    const mult = decimalOf(inst.contract.multiplier ?? 1);
    const fx = decimalOf(this.prices.fxRate(inst.contract.currency, t));
    const filledBefore = decimalOf(rec.state.filledQuantity);
    // The schedules' caps and the fees are measured in USD, whatever the account's base currency.
    const valueBefore = decimalOfText(rec.valueUsd);
    const valueAfter = valueBefore.plus(times(times(qty.times(price), mult), usdPerUnit(inst, this.prices, t)));
    const filledValueBefore = decimalOfText(rec.filledValue);
    const filledValue = filledValueBefore.plus(qty.times(price));
    const filledAfter = filledBefore.plus(qty);
    // The average price after this fill: the commission schedules read it, and so does the order's state.
    const avgAfter = filledValue.dividedBy(filledAfter);
    const plan = this.sim.options.commissionPlan ?? 'fixed';
    const brokerCommission = fillCommission(
      { cls: inst.cls, symbol: inst.contract.symbol, quantity: filledBefore, valueUsd: valueBefore, price: filledBefore.isZero() ? price : filledValueBefore.dividedBy(filledBefore), plan },
      { cls: inst.cls, symbol: inst.contract.symbol, quantity: filledAfter, valueUsd: valueAfter, price: avgAfter, plan },
    );
    // IBKR's commission report carries one figure: its commission plus the regulatory and exchange fees it passes through.
    const fees = executionFees({ cls: inst.cls, symbol: inst.contract.symbol, side: spec.action, quantity: qty, valueUsd: valueAfter.minus(valueBefore), commission: brokerCommission, plan, at: t });
    const charge = chargeCurrency(inst, this.prices, this.account.ledger.base, t);
    const commission = inChargeCurrency(brokerCommission.plus(fees.total), charge, this.prices, t);
    const time = isoTime(t);
    const effect = this.account.applyFill({
      contract: inst.contract, cls: inst.cls, side: spec.action, quantity: qty, price, fxRate: fx, time,
      commission, fees: inChargeCurrency(fees.total, charge, this.prices, t), commissionCurrency: charge.currency, commissionRate: charge.rate,
    });
    rec.fillSeq += 1;
    rec.filledValue = filledValue.toString();
    rec.valueUsd = valueAfter.toString();
    const commissionSoFar = decimalOfText(rec.commission).plus(commission);
    rec.commission = commissionSoFar.toString();
    const filled = filledAfter.toNumber();
    rec.state.filledQuantity = filled;
    rec.state.remainingQuantity = Math.max(0, spec.quantity - filled);
    rec.state.avgFillPrice = avgAfter.toDecimalPlaces(6).toNumber();
    // The Decimal the text was written from: the text reads back as the same value.
    rec.state.commission = toCents(commissionSoFar);
    const complete = rec.state.remainingQuantity <= 0 || (rec.cap !== null && rec.parentDone && filled >= rec.cap);
    rec.state.status = complete ? 'FILLED' : 'PARTIALLY_FILLED';
    rec.state.message = complete ? null : rec.state.message;
    rec.state.updatedAt = time;
    const fill: Fill = {
      execId: `${this.execPrefix()}.${rec.state.orderId}.${String(rec.fillSeq).padStart(2, '0')}.01`,
      orderId: rec.state.orderId,
      time,
      side: spec.action,
      quantity: exec.quantity,
      price: exec.price,
      commission: commission.toNumber(),
      commissionCurrency: charge.currency,
      realizedPnl: effect.realizedPnl ? toCents(effect.realizedPnl) : null,
      exchange: venueOf(inst),
    };
    // The fill and everything it implies commit together: a crash leaves either none of it or all of it,
    // never a filled parent whose exits still wait for it (events go out on a microtask, after the commit).
    // Within the caller's transaction (an order's arrival, an instant of the matching loop), whose
    // rollback an error here always reaches: nothing between catches it.
    store.within(() => {
      store.addFill(fill, inst.contract.conId, rec.state.accountId);
      store.savePosition(effect.position);
      store.saveTotals(this.account.ledger.totals);
      store.saveOrder(rec, !complete);
      this.account.fillCommitted(fill, inst.contract.conId, rec.state.accountId);
      if (complete) this.sim.open.delete(rec.state.orderId);
      this.sim.emit('fill', { ...fill });
      this.sim.emit('orderStatus', cloneState(rec.state));
      this.afterFill(rec, exec.quantity, t);
    });
  }

  private prefix: { seed: number; text: string } | null = null;

  /** The execution ids' first part, from the seed (made once per seed, not per fill). */
  private execPrefix(): string {
    const seed = this.sim.options.seed;
    if (this.prefix?.seed !== seed) this.prefix = { seed, text: `0000${(seed >>> 0).toString(16).padStart(4, '0').slice(-4)}` };
    return this.prefix.text;
  }

  /** Brackets: a parent fill arms its children; a child fill shrinks its sibling. OCA groups: a fill cancels the rest. */
  private afterFill(rec: SimOrderRecord, quantity: number, t: number): void {
    if (rec.state.role === 'ENTRY') {
      for (const child of this.childrenOf(rec.state.orderId)) {
        child.cap = (child.cap ?? 0) + quantity;
        child.parentDone = TERMINAL_STATUSES.has(rec.state.status);
        if (child.waitingForParent) {
          child.waitingForParent = false;
          child.state.status = 'ACCEPTED';
          child.state.message = null;
          child.state.updatedAt = isoTime(t);
          this.persist(child, t);
          this.sim.emit('orderStatus', cloneState(child.state));
        } else this.persist(child, t);
      }
      if (rec.ocaGroup) this.cancelOcaSiblings(rec, t);
      return;
    }
    const sibling = rec.siblingId ? this.sim.open.get(rec.siblingId) : undefined;
    if (sibling) {
      // One-cancels-other with reduction: whatever one exit fills, the other no longer needs to cover.
      sibling.cap = (sibling.cap ?? 0) - quantity;
      if (rec.state.status === 'FILLED' || (sibling.parentDone && this.fillable(sibling) <= 0)) {
        this.end(sibling, 'CANCELLED', `OCA group ${sibling.ocaGroup ?? ''}: order ${rec.state.orderId} filled`, t);
      } else this.persist(sibling, t);
    }
  }

  private cancelOcaSiblings(rec: SimOrderRecord, t: number): void {
    for (const other of [...this.sim.open.values()]) {
      if (other === rec || other.ocaGroup !== rec.ocaGroup || other.state.accountId !== rec.state.accountId || other.state.role !== 'ENTRY') continue;
      this.end(other, 'CANCELLED', `OCA group ${rec.ocaGroup ?? ''}: order ${rec.state.orderId} filled`, t);
    }
  }

  private childrenOf(parentId: string): SimOrderRecord[] {
    return [...this.sim.open.values()].filter((r) => r.state.parentOrderId === parentId);
  }

  /**
   * Ends an order (cancelled, expired) and settles its bracket, in one transaction.
   * `remainderOnly`: only the unfilled rest is cancelled (an IOC parent's remainder), so exits
   * armed by its fills stay, as for a parent that expires part-filled; a cancel asked for by the
   * client takes the exits with it.
   */
  finish(rec: SimOrderRecord, status: OrderStatus, message: string, t: number, remainderOnly = false): void {
    if (TERMINAL_STATUSES.has(rec.state.status)) return;
    this.sim.requireStore().transaction(() => this.end(rec, status, message, t, remainderOnly));
  }

  private end(rec: SimOrderRecord, status: OrderStatus, message: string, t: number, remainderOnly = false): void {
    if (TERMINAL_STATUSES.has(rec.state.status)) return;
    rec.state.status = status;
    rec.state.message = message;
    rec.state.updatedAt = isoTime(t);
    this.sim.open.delete(rec.state.orderId);
    this.sim.requireStore().saveOrder(rec, false);
    this.sim.emit('orderStatus', cloneState(rec.state));
    if (rec.state.role !== 'ENTRY') return;
    for (const child of this.childrenOf(rec.state.orderId)) {
      if (rec.state.filledQuantity === 0 || (status === 'CANCELLED' && !remainderOnly)) {
        this.end(child, 'CANCELLED', `Parent order ${rec.state.orderId} ${status.toLowerCase()}`, t);
      } else {
        // The parent stopped part-way: the exits protect only what it filled.
        child.parentDone = true;
        this.persist(child, t);
      }
    }
  }

  /** Records a new message on a working order (written only when it changes). */
  touchState(rec: SimOrderRecord, message: string, t: number): void {
    if (rec.state.message === message) return;
    rec.state.message = message;
    this.persist(rec, t);
  }

  persist(rec: SimOrderRecord, t: number): void {
    rec.state.updatedAt = isoTime(t);
    this.sim.requireStore().saveOrder(rec, !TERMINAL_STATUSES.has(rec.state.status));
  }
}
