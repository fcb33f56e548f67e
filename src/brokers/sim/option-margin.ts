/**
 * Margin of option positions under IBKR's Reg T rules (IBKR's "Options
 * margin requirements" page; as quoted by IBKR and its introducing brokers):
 *
 * - long call or put: no loan value, so the premium is the requirement (the
 *   position's value counts in net liquidation and is all taken back here);
 * - covered call (short call, with long stock enough to deliver on exercise):
 *   the stock's own margin plus the call's in-the-money amount; the same for
 *   a covered put (short put with short stock to buy back on assignment);
 * - naked short call or put: 100% of the option's value plus the greater of
 *   20% of the underlying's value less the out-of-the-money amount, and 10%
 *   of the underlying's value (calls) or of the strike (puts).
 *
 * Cover is counted per underlying symbol and shared out: a short call is
 * covered by 100 shares per contract (its multiplier) not already covering
 * another call; partly covered positions are margined part covered, part
 * naked. A short put "covered" by cash is a cash-secured put: IBKR applies
 * that rule (strike x multiplier held in cash) only in cash and IRA accounts;
 * in a margin account, which is what the simulator keeps, it is margined as
 * naked, and its out-of-the-money credit is what makes an OTM one cheap.
 * (The 15% rate of broad-based index options and the $250-a-contract floors
 * some versions of the page list are not modelled.)
 */
import { Decimal } from 'decimal.js';
import type { LedgerPosition, Mark } from './ledger.js';

const ZERO = new Decimal(0);

/** Shares still free to cover short options, per underlying symbol. */
export type ShareCover = Map<string, { long: Decimal; short: Decimal }>;

/** The stock positions that can cover short options. */
export function shareCover(positions: readonly LedgerPosition[]): ShareCover {
  const cover: ShareCover = new Map();
  for (const p of positions) {
    if (p.cls !== 'equity' || p.contract.securityType !== 'STK') continue;
    const c = cover.get(p.contract.symbol) ?? { long: ZERO, short: ZERO };
    if (p.quantity.isPositive()) c.long = c.long.plus(p.quantity);
    else c.short = c.short.plus(p.quantity.abs());
    cover.set(p.contract.symbol, c);
  }
  return cover;
}

/** Initial and maintenance margin of one option position; takes the shares it uses out of `cover`. */
export function optionMargin(p: LedgerPosition, mv: Decimal, mark: Mark, cover: ShareCover): { initial: Decimal; maintenance: Decimal } {
  if (p.quantity.isPositive()) return { initial: mv.abs(), maintenance: mv.abs() };
  const qty = p.quantity.abs();
  const mult = new Decimal(p.contract.multiplier ?? 100);
  const fx = new Decimal(mark.fx);
  const spot = new Decimal(mark.underlyingPrice ?? mark.price);
  const strike = new Decimal(p.contract.strike ?? 0);
  const call = p.contract.right !== 'P';
  const itm = Decimal.max(0, call ? spot.minus(strike) : strike.minus(spot));
  const otm = Decimal.max(0, call ? strike.minus(spot) : spot.minus(strike));
  // Calls are covered by long shares, puts by short shares.
  const free = cover.get(p.contract.symbol);
  const available = free ? (call ? free.long : free.short) : ZERO;
  const covered = Decimal.min(qty, available.dividedBy(mult).floor());
  if (free && covered.gt(0)) {
    if (call) free.long = free.long.minus(covered.times(mult));
    else free.short = free.short.minus(covered.times(mult));
  }
  const naked = qty.minus(covered);
  const coveredReq = covered.times(itm).times(mult).times(fx);
  const perShare = Decimal.max(spot.times('0.2').minus(otm), (call ? spot : strike).times('0.1'));
  const nakedReq = qty.isZero() ? ZERO : mv.abs().times(naked).dividedBy(qty).plus(naked.times(perShare).times(mult).times(fx));
  const req = coveredReq.plus(nakedReq);
  return { initial: req, maintenance: req };
}
