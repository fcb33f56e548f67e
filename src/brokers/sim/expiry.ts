/**
 * What happens to a position when its instrument expires, at the close of the
 * expiry day, following IBKR's and the OCC's rules:
 *
 * - an option in the money by at least USD 0.01 at the close is exercised if
 *   long and assigned if short (OCC exercise by exception): a stock option
 *   delivers 100 shares per contract at the strike (bought for a long call or
 *   short put, sold for a long put or short call); an index option is settled
 *   in cash at its intrinsic value;
 * - an option out of the money (or in by less than a cent) expires worthless;
 * - a future is closed at its final settlement price with the P&L booked into
 *   cash.
 *
 * Each event is a fill with order id "0" (account-fills.ts), stored and sent
 * on the fill stream like any other. Exercised options close at 0 (their premium is realised) and the
 * shares are booked at the strike; expiries carry no commission.
 */
import { Decimal } from 'decimal.js';
import { bookAccountFills, type AccountFill } from './account-fills.js';
import type { Instrument } from './catalogue.js';
import type { LedgerPosition } from './ledger.js';
import type { SimMarketData } from './market-data.js';
import { etToUtc } from './sessions.js';
import type { SimState } from './state.js';
import type { AccountValuer } from './valuation.js';

/** OCC exercise by exception: in the money by at least this much at the close. */
const EXERCISE_THRESHOLD = new Decimal('0.01');

/**
 * When an instrument's positions are settled: options at 16:00 ET on their
 * expiry date, futures at the close of their regular session on their last
 * trading day. (Seam: the exchange calendar of issue 21 should supply the
 * futures' final settlement time and holidays; this uses the catalogue's
 * expiry date and the instrument's session close.)
 */
export function settlementTime(inst: Instrument): number | null {
  if (inst.option) return inst.option.expiryMs;
  if (inst.cls === 'future' && inst.contract.expiry) {
    const day = Math.floor(Date.parse(`${inst.contract.expiry}T00:00:00Z`) / 86_400_000);
    return etToUtc(day, inst.schedule.rthClose);
  }
  return null;
}

type Outcome = 'EXERCISE' | 'ASSIGNMENT' | 'EXPIRED' | 'FINAL-SETTLEMENT';
type Leg = AccountFill;

export class Expiries {
  constructor(
    private readonly sim: SimState,
    private readonly prices: SimMarketData,
    private readonly account: AccountValuer,
  ) {}

  /** Settles every open position whose instrument expired at or before `t`, in order of expiry. */
  processUpTo(t: number): void {
    const due: Array<{ p: LedgerPosition; inst: Instrument; at: number }> = [];
    for (const p of this.account.ledger.openPositions()) {
      const inst = this.sim.instruments.forContract(p.contract);
      const at = inst ? settlementTime(inst) : null;
      if (inst && at !== null && at <= t) due.push({ p, inst, at });
    }
    due.sort((a, b) => a.at - b.at || a.p.conId - b.p.conId);
    for (const d of due) this.settle(d.p, d.inst, d.at);
  }

  /** What one expiring position turns into: the outcome and its legs. */
  legsOf(p: LedgerPosition, inst: Instrument, at: number): { outcome: Outcome; legs: Leg[] } {
    const closing: 'BUY' | 'SELL' = p.quantity.isPositive() ? 'SELL' : 'BUY';
    const qty = p.quantity.abs();
    const market = this.sim.market;
    if (inst.cls === 'future') {
      const settlement = new Decimal(market.fair(inst, at)).toDecimalPlaces(6);
      return { outcome: 'FINAL-SETTLEMENT', legs: [{ inst, side: closing, quantity: qty, price: settlement }] };
    }
    const o = inst.option;
    if (!o) return { outcome: 'EXPIRED', legs: [] };
    const spot = new Decimal(market.fair(o.underlying, at)).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
    const strike = new Decimal(o.strike);
    const intrinsic = o.right === 'C' ? spot.minus(strike) : strike.minus(spot);
    if (intrinsic.lt(EXERCISE_THRESHOLD)) return { outcome: 'EXPIRED', legs: [{ inst, side: closing, quantity: qty, price: new Decimal(0) }] };
    const outcome = p.quantity.isPositive() ? 'EXERCISE' : 'ASSIGNMENT';
    if (o.underlying.cls === 'index') return { outcome, legs: [{ inst, side: closing, quantity: qty, price: intrinsic }] };
    // Physical delivery: a long call or a short put buys the shares; a long put or a short call sells them.
    const buysShares = (o.right === 'C') === p.quantity.isPositive();
    const shares = qty.times(inst.contract.multiplier ?? 100);
    return {
      outcome,
      legs: [
        { inst, side: closing, quantity: qty, price: new Decimal(0) },
        { inst: o.underlying, side: buysShares ? 'BUY' : 'SELL', quantity: shares, price: strike },
      ],
    };
  }

  private settle(p: LedgerPosition, inst: Instrument, at: number): void {
    const { outcome, legs } = this.legsOf(p, inst, at);
    bookAccountFills(this.sim, this.prices, this.account, outcome, inst.contract.conId.toString(16), legs, at);
  }
}
