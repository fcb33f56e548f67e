/**
 * The clock-driven matching loop: working orders evaluated against the book at
 * every instant that matters.
 *
 * The loop runs on the injected clock: a timer (unref'd, stopped by close())
 * for the system clock, and the clock's own advance notifications for a
 * ManualClock, so tests move time and never sleep. When time jumps, the loop
 * steps through the gap at session boundaries, order expiries and auctions
 * plus a regular grid, so a DAY order expires at the close rather than filling
 * the next morning. What a fill implies is settled in settlement.ts.
 */
import { TERMINAL_STATUSES } from '../../core/models.js';
import type { Instrument } from './catalogue.js';
import { roundTick } from './market.js';
import { bookOf, type SimMarketData } from './market-data.js';
import { effectiveOutsideRth, fillOrKill, ignoresOutsideRth, isMarketable, midpointFill, midpricePeg, WARNING_2109, needsTrigger, restingFill, sweep, updateTrigger, workingLimit, type Book, type Execution } from './matching.js';
import { boundariesBetween, canExecuteIn, phaseAt, type SessionPhase } from './sessions.js';
import type { Settlement } from './settlement.js';
import { cloneState, type SimState } from './state.js';
import type { SimOrderRecord } from './store.js';
import { goodAfterMs, heldAt } from './order-timing.js';
import { remainingDepletion, saveDepletion } from './own-impact.js';

/** Most evaluation instants one jump of the clock is split into (besides boundaries). */
const MAX_GRID_STEPS = 720;

export class MatchingLoop {
  /** The instant working orders were last evaluated at. */
  lastEval = 0;
  private evaluating = false;
  /** Per schedule, the phases of the last few instants looked up (an evaluation asks for its instant and the one before). */
  private readonly phases = new Map<Instrument['schedule'], Map<number, SessionPhase>>();

  constructor(
    private readonly sim: SimState,
    private readonly prices: SimMarketData,
    private readonly settle: Settlement,
  ) {}

  /** Evaluates working orders at every instant that matters in (lastEval, target], then publishes quotes. */
  advanceTo(target: number): void {
    const store = this.sim.store;
    if (this.sim.connection !== 'connected' || this.evaluating || !store) return;
    this.evaluating = true;
    try {
      if (target > this.lastEval) {
        if (this.sim.open.size > 0) {
          for (const t of this.checkpoints(this.lastEval, target)) {
            const books = new Map<number, Book>();
            const prev = this.lastEval;
            // One instant, one commit: what its fills imply is written with them (see settlement.ts), and
            // a restart after a crash resumes from the last instant committed rather than replaying it.
            store.transaction(() => {
              for (const rec of [...this.sim.open.values()]) this.evaluate(rec, t, books, false, prev);
              this.keepDepletion(books, t);
              store.setMeta('last_eval', String(t));
            });
            this.lastEval = t;
            if (this.sim.open.size === 0) break;
          }
          store.setMeta('last_eval', String(target));
        }
        this.lastEval = target;
        this.prices.publishQuotes(target);
      }
    } finally {
      this.evaluating = false;
    }
  }

  private checkpoints(from: number, to: number): number[] {
    const set = new Set<number>([to]);
    const step = Math.max(this.sim.tickIntervalMs, Math.ceil((to - from) / MAX_GRID_STEPS));
    for (let t = from + step; t < to; t += step) set.add(t);
    const schedules = new Map<string, Instrument['schedule']>();
    for (const rec of this.sim.open.values()) {
      for (const at of [rec.expiresAt, rec.auctionAt, goodAfterMs(rec.state.spec)]) if (at !== null && at > from && at <= to) set.add(at);
      const inst = this.sim.instruments.forContract(rec.contract);
      if (inst) schedules.set(`${inst.schedule.kind}:${inst.schedule.rthOpen}:${inst.schedule.rthClose}`, inst.schedule);
    }
    for (const s of schedules.values()) for (const b of boundariesBetween(s, this.sim.options.session, from, to)) set.add(b);
    return [...set].sort((a, b) => a - b);
  }

  /**
   * The book at `t`: the touch with its hidden depth, less what earlier orders took and the book has not yet
   * refilled (it refills with a half-life, so a large order's impact persists for the next slices).
   */
  private book(inst: Instrument, t: number, books: Map<number, Book>): Book {
    let b = books.get(inst.contract.conId);
    if (!b) {
      b = bookOf(this.sim.market.touch(inst, t), inst);
      const left = remainingDepletion(this.sim.depletion.get(inst.contract.conId), t, this.sim.depthHalfLifeMs, inst.lot);
      b.takenBid = left.bid;
      b.takenAsk = left.ask;
      books.set(inst.contract.conId, b);
    }
    return b;
  }

  /** The session phase of an instrument's schedule at `t`, looked up once per (schedule, instant): thousands of orders share it. */
  private phase(inst: Instrument, t: number): SessionPhase {
    let byTime = this.phases.get(inst.schedule);
    if (!byTime) {
      byTime = new Map();
      this.phases.set(inst.schedule, byTime);
    }
    let phase = byTime.get(t);
    if (phase === undefined) {
      if (byTime.size >= 8) byTime.clear();
      phase = phaseAt(inst.schedule, this.sim.options.session, t);
      byTime.set(t, phase);
    }
    return phase;
  }

  /**
   * Remembers what the books of instant `t` were left with, for the next instants (and quotes) to refill
   * from; written to sim.db in the caller's transaction when it changed, so a restart keeps the impact.
   */
  keepDepletion(books: Map<number, Book>, t: number): void {
    let changed = false;
    for (const [conId, b] of books) {
      const before = this.sim.depletion.get(conId);
      if (b.takenBid > 0 || b.takenAsk > 0) {
        if (before?.bid !== b.takenBid || before.ask !== b.takenAsk || before.t !== t) changed = true;
        this.sim.depletion.set(conId, { t, bid: b.takenBid, ask: b.takenAsk });
      } else if (this.sim.depletion.delete(conId)) changed = true;
    }
    const store = this.sim.store;
    if (changed && store) saveDepletion(store, this.sim.depletion);
  }

  /**
   * One order at one instant. `arrival` is true only for the evaluation inside placeOrder; `prev` is the
   * instant the loop evaluated before this one (null on arrival).
   */
  evaluate(rec: SimOrderRecord, t: number, books: Map<number, Book>, arrival: boolean, prev: number | null = null): void {
    if (TERMINAL_STATUSES.has(rec.state.status) || rec.waitingForParent) return;
    const inst = this.sim.instruments.forContract(rec.contract);
    if (!inst) return;
    const spec = rec.state.spec;
    const settle = this.settle;

    if (heldAt(rec, t)) return;
    if (rec.state.status === 'SUBMITTED' && goodAfterMs(spec) !== null) {
      // Its goodAfterTime has come: IBKR places it at the exchange now (PreSubmitted -> Submitted).
      rec.state.status = 'ACCEPTED';
      rec.state.message = null;
      settle.persist(rec, t);
      this.sim.emit('orderStatus', cloneState(rec.state));
    }
    if (rec.auctionAt !== null) {
      if (t < rec.auctionAt) return;
      this.runAuction(rec, inst, t);
      return;
    }
    if (rec.expiresAt !== null && t >= rec.expiresAt) {
      settle.finish(rec, 'EXPIRED', spec.timeInForce === 'GTD' ? `GTD order expired at its goodTillDate ${spec.goodTillDate ?? ''}` : 'Day order expired at the end of the session', t);
      return;
    }
    if (inst.option && t >= inst.option.expiryMs) {
      settle.finish(rec, 'CANCELLED', 'The option expired', t);
      return;
    }
    const immediate = spec.timeInForce === 'IOC' || spec.timeInForce === 'FOK';
    const outsideRth = effectiveOutsideRth(spec, inst.cls);
    if (!canExecuteIn(inst.schedule, this.phase(inst, t), outsideRth)) {
      if (immediate) settle.finish(rec, 'CANCELLED', `${spec.timeInForce} order cancelled: the market is closed for it now`, t);
      else if (arrival) settle.touchState(rec, ignoresOutsideRth(spec, inst.cls) ? `${WARNING_2109} Held for the open.` : 'Waiting for the market to open', t);
      return;
    }
    const book = this.book(inst, t, books);
    // A resting limit the market opens (or gaps) through trades at the better opening price, not at its limit:
    // it could not trade at the previous instant, so nothing traded between its limit and the open.
    let fresh = !rec.resting || (prev !== null && !canExecuteIn(inst.schedule, this.phase(inst, prev), outsideRth));
    if (needsTrigger(spec) && !rec.trigger.triggered) {
      const watch = inst.cls === 'fx' ? (book.bid + book.ask) / 2 : book.last;
      const next = updateTrigger(spec, rec.trigger, watch, book.tick);
      const moved = next.trailStop !== rec.trigger.trailStop;
      rec.trigger = next;
      if (!next.triggered) {
        if (immediate) settle.finish(rec, 'CANCELLED', `${spec.timeInForce} stop order cancelled: not triggered`, t);
        else if (moved) settle.persist(rec, t);
        return;
      }
      fresh = true;
      rec.state.message = `Triggered at ${watch}`;
    }
    const remaining = settle.fillable(rec);
    if (remaining <= 0) return;
    if (spec.orderType === 'MIDPRICE') {
      // Re-pegged to the midpoint at every instant and never crossing the spread: it trades at its peg when a
      // trade prints there (a contra order met the midpoint), never at the far touch.
      for (const e of midpointFill(book, spec.action, remaining, midpricePeg(book, spec.action, spec.limitPrice))) settle.execute(rec, inst, e, t);
      return;
    }
    const limit = workingLimit(spec, rec.trigger);
    let execs: Execution[];
    if (spec.timeInForce === 'FOK') execs = fillOrKill(book, spec.action, remaining, limit);
    else if (limit === null) execs = sweep(book, spec.action, remaining, null);
    else if (fresh) execs = isMarketable(book, spec.action, limit) ? sweep(book, spec.action, remaining, limit) : [];
    else execs = restingFill(book, spec.action, remaining, limit);
    for (const e of execs) settle.execute(rec, inst, e, t);
    if (TERMINAL_STATUSES.has(rec.state.status)) return;
    if (spec.timeInForce === 'FOK' && execs.length === 0) {
      const shown = spec.action === 'BUY' ? book.askSize : book.bidSize;
      settle.finish(rec, 'CANCELLED', `FOK order cancelled: ${remaining} could not be filled at once (displayed size ${shown})`, t);
    } else if (spec.timeInForce === 'IOC') {
      // IBKR cancels only what did not fill at once: a bracket's exits keep protecting the shares that did.
      const filled = rec.state.filledQuantity > 0;
      settle.finish(rec, 'CANCELLED', filled ? 'IOC order: unfilled remainder cancelled' : 'IOC order cancelled: nothing could be filled immediately', t, filled);
    } else if (limit !== null && !rec.resting) {
      // From now on the order is on the book: it fills at its limit when the market trades through it.
      rec.resting = true;
      settle.persist(rec, t);
    }
  }

  /** MOC, LOC and OPG: the whole order at the official close / open print (LOC and limit-on-open only within their limit). */
  private runAuction(rec: SimOrderRecord, inst: Instrument, t: number): void {
    const at = rec.auctionAt ?? t;
    const price = roundTick(this.sim.market.fair(inst, at), inst.contract.minTick);
    const spec = rec.state.spec;
    const limit = spec.limitPrice;
    if (limit !== undefined && (spec.action === 'BUY' ? price > limit : price < limit)) {
      this.settle.finish(rec, 'CANCELLED', `Not executed in the ${spec.orderType === 'MOC' || spec.orderType === 'LOC' ? 'closing' : 'opening'} auction at ${price}: limit ${limit}`, t);
      return;
    }
    this.settle.execute(rec, inst, { quantity: this.settle.fillable(rec), price }, at);
  }
}
