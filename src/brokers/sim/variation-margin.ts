/**
 * Daily futures variation margin: at each daily settlement (the close of the
 * contract's regular session on a weekday) the change in an open futures
 * position's value is paid into, or collected from, cash, as clearing houses
 * and IBKR do. Net liquidation does not move; the open P&L since the last
 * settlement is what remains outside cash. Average cost and unrealised P&L
 * still count from the entry, as IBKR's portfolio shows them.
 *
 * Only the latest settlement before now matters (variation telescopes: paying
 * every day's change is paying the change to the last one), so a long jump of
 * the clock settles once. Settlement days follow CME's calendar
 * (core/exchange-calendar.ts): none on a full closure (Christmas, New Year,
 * Good Friday), none on a holiday whose Globex session only halts early (its
 * trades clear with the next business day, CME's holiday trade-date rule), and
 * at the early close on an early-close day. With always-open sessions (the
 * demo) every weekday settles at the regular close. A position opened after
 * the latest settlement waits for the next one.
 */
import { Decimal } from 'decimal.js';
import type { Instrument } from './catalogue.js';
import { settlementTime } from './expiry.js';
import { roundTick } from './market.js';
import { dayRule, weekdayOfDay } from '../../core/exchange-calendar.js';
import { etToUtc, toEt, type SessionMode } from './sessions.js';
import type { SimState } from './state.js';
import type { AccountValuer } from './valuation.js';

/** New York minute of day `day`'s daily settlement, or null when that day has none. */
export function settlementMinute(inst: Instrument, day: number, mode: SessionMode = 'real'): number | null {
  const weekday = weekdayOfDay(day);
  if (weekday === 0 || weekday === 6) return null;
  if (mode === 'always-open') return inst.schedule.rthClose;
  const rule = dayRule('CME', day);
  if (rule.closed || rule.holiday !== null) return null;
  return rule.earlyClose === null ? inst.schedule.rthClose : Math.min(rule.earlyClose, inst.schedule.rthClose);
}

/** The latest daily settlement instant at or before `t`. */
export function lastDailySettlement(inst: Instrument, t: number, mode: SessionMode = 'real'): number {
  for (let day = toEt(t).day; ; day -= 1) {
    const minute = settlementMinute(inst, day, mode);
    if (minute !== null && etToUtc(day, minute) <= t) return etToUtc(day, minute);
  }
}

export class VariationMargin {
  constructor(
    private readonly sim: SimState,
    private readonly account: AccountValuer,
  ) {}

  /** Pays each open futures position's variation up to the latest settlement at or before `t`. */
  settleUpTo(t: number): void {
    const store = this.sim.requireStore();
    for (const p of this.account.ledger.openPositions()) {
      if (p.cls !== 'future') continue;
      const inst = this.sim.instruments.forContract(p.contract);
      if (!inst) continue;
      const at = lastDailySettlement(inst, t, this.sim.options.session);
      const iso = new Date(at).toISOString();
      const expiry = settlementTime(inst);
      if (p.settledAt === iso || iso <= p.openedAt || (expiry !== null && at >= expiry)) continue;
      const price = new Decimal(roundTick(this.sim.market.fair(inst, at), inst.contract.minTick ?? 0.01));
      store.transaction(() => {
        this.account.settleVariation(p.conId, price, iso);
        const settled = this.account.ledger.position(p.conId);
        if (settled) store.savePosition(settled);
        store.saveTotals(this.account.ledger.totals);
      });
    }
  }
}
