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
 * the clock settles once. Seam: holidays come from the exchange calendar of
 * issue 21; until then every weekday settles. A position opened after the
 * latest settlement waits for the next one.
 */
import { Decimal } from 'decimal.js';
import type { Instrument } from './catalogue.js';
import { settlementTime } from './expiry.js';
import { roundTick } from './market.js';
import { etToUtc, toEt } from './sessions.js';
import type { SimState } from './state.js';
import type { AccountValuer } from './valuation.js';

/** The latest daily settlement instant at or before `t`: a weekday's regular close. */
export function lastDailySettlement(inst: Instrument, t: number): number {
  let day = toEt(t).day;
  if (etToUtc(day, inst.schedule.rthClose) > t) day -= 1;
  for (;;) {
    const weekday = toEt(etToUtc(day, 720)).weekday;
    if (weekday !== 0 && weekday !== 6) return etToUtc(day, inst.schedule.rthClose);
    day -= 1;
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
      const at = lastDailySettlement(inst, t);
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
