/**
 * The simulated account's books: cash, positions, realised P&L and margin.
 *
 * All money is decimal. Conventions follow IBKR:
 * - average cost includes commissions, and realised P&L is net of them
 *   (IBKR's average-cost method: a closing trade realises
 *   proceeds - average cost x closed quantity - its own commission);
 * - stocks, options and FX settle in cash (cash pays the trade value); futures
 *   do not: cash pays only commissions, and realised gains or losses when a
 *   position is reduced; the open futures P&L counts in net liquidation;
 * - Reg T margin: 50% initial / 25% maintenance on stocks (30% for shorts),
 *   a fixed amount per futures contract; options by IBKR's rules for long,
 *   covered and naked positions (option-margin.ts).
 *
 * Cash is kept per currency, as IBKR keeps it: a trade moves the cash of the
 * currency it is quoted in, and an FX trade (USD.JPY, EUR.USD) moves both of
 * its currencies (buying 1M USD.JPY at 153.875 adds 1,000,000 USD and takes
 * 153,875,000 JPY). A position's cost basis stays in its own currency; its
 * market value and P&L are translated into the base currency (USD unless
 * SIM_BASE_CURRENCY says otherwise) at the
 * simulator's current rates, and so is every cash balance for the account's
 * totals. A commission (with the fees in it) is paid from the cash of the
 * currency it is charged in (USD for the US products the simulator lists; the
 * base currency for FX, as IBKR charges FX commissions), and is carried in the
 * position and the totals in the base currency at the rate of its fill.
 * Realised P&L is booked in the base currency at the rate of the closing fill.
 */
import { Decimal } from 'decimal.js';
import type { Contract } from '../../core/models.js';
import type { InstrumentClass, MarginRule } from './catalogue.js';
import { decimalOf, ONE, times } from './decimals.js';
import { shareCover } from './option-margin.js';
import { averageCost, PositionValues } from './position-value.js';

const ZERO = new Decimal(0);

export interface LedgerPosition {
  conId: number;
  contract: Contract;
  cls: InstrumentClass;
  /** Signed quantity; negative is short. */
  quantity: Decimal;
  /** Signed cost basis in the contract's currency without commissions (quantity x price x multiplier at the fills). */
  grossCost: Decimal;
  /** Opening commissions still carried by the open quantity, in the base currency at their fills' rates. */
  commissionCost: Decimal;
  /** Realised P&L (net of commissions) since the account was reset. */
  realized: Decimal;
  openedAt: string;
  /**
   * Futures: the variation margin already paid into cash by daily settlements
   * (contract currency), the part of the open P&L cash already holds.
   */
  variationSettled?: Decimal;
  /** Futures: the daily settlement instant (ISO) last paid into cash. */
  settledAt?: string;
}

/** The base currency of an account created before it was configurable (SIM_BASE_CURRENCY's default). */
export const BASE_CURRENCY = 'USD';

/** Base currencies the simulator can report in: those it publishes FX rates for. */
export const BASE_CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY'] as const;

export interface LedgerTotals {
  /** The account's base currency (fixed when the account is created); absent means USD. */
  base?: string;
  startingCash: Decimal;
  /** Cash in the base currency. */
  cash: Decimal;
  /** Cash in every other currency the account has touched (currency -> amount in that currency). */
  otherCash: Record<string, Decimal>;
  /** Every commission ever charged (third-party fees included, as IBKR reports them), in the base currency at each fill's rate. */
  commissions: Decimal;
  /** The part of `commissions` that was regulatory, exchange and clearing fees (base currency). */
  fees: Decimal;
  /** Interest and borrow fees booked into cash (negative: paid), itemised in the base currency at each booking's rate. */
  interest?: Decimal;
  /** Realised P&L before commissions (the part that moved cash for futures, or cost vs proceeds for the rest). */
  realizedGross: Decimal;
}

export interface FillInput {
  contract: Contract;
  cls: InstrumentClass;
  side: 'BUY' | 'SELL';
  quantity: Decimal;
  price: Decimal;
  /** Base currency per unit of the contract's currency at the fill. */
  fxRate: Decimal;
  /** In `commissionCurrency`. */
  commission: Decimal;
  /** The part of `commission` that is third-party fees (itemised in the totals); default 0. */
  fees?: Decimal;
  /** The currency the commission is paid in; default USD (what the simulator charged before it kept other currencies). */
  commissionCurrency?: string;
  /**
   * Base currency per unit of `commissionCurrency` at the fill. Needed only when that currency is
   * neither the base nor the contract's currency (whose rates the ledger already has).
   */
  commissionRate?: Decimal;
  time: string;
}

export interface FillEffect {
  /** IBKR-style realised P&L of this fill, null when it only opened or added to a position. */
  realizedPnl: Decimal | null;
  position: LedgerPosition;
}

/** Current price of a position's instrument, and what margin needs to know about it. */
export interface Mark {
  price: number;
  /** Base currency per unit of the contract's currency now. */
  fx: number;
  margin: MarginRule;
  /** Options: the underlying's price (short option margin). */
  underlyingPrice?: number;
}

export interface PositionValuation {
  position: LedgerPosition;
  markPrice: Decimal | null;
  marketValue: Decimal | null;
  unrealized: Decimal | null;
  avgCost: Decimal;
  initMargin: Decimal;
  maintMargin: Decimal;
}

export interface CashBalance {
  currency: string;
  /** In that currency. */
  amount: Decimal;
  /** Base currency per unit of that currency now. */
  rate: Decimal;
}

/** Base currency per unit of a currency now. */
export type RateOf = (currency: string) => number;

/** For callers (tests) whose account holds only USD: any other currency is a mistake worth hearing about. */
const baseOnly = (base: string): RateOf => (currency) => {
  if (currency === base) return 1;
  throw new Error(`No conversion rate given for ${currency}`);
};

export interface AccountValuation {
  /** Every cash balance translated into the base currency (IBKR's TotalCashValue). */
  cash: Decimal;
  /** Cash by currency, base currency first (IBKR's CashBalance per currency). */
  cashBalances: CashBalance[];
  netLiquidation: Decimal;
  equityWithLoan: Decimal;
  grossPositionValue: Decimal;
  initMargin: Decimal;
  maintMargin: Decimal;
  availableFunds: Decimal;
  excessLiquidity: Decimal;
  buyingPower: Decimal;
  unrealized: Decimal;
  realized: Decimal;
  positions: PositionValuation[];
}

const cashSettled = (cls: InstrumentClass): boolean => cls !== 'future';

export class Ledger {
  readonly totals: LedgerTotals;
  private readonly positions = new Map<number, LedgerPosition>();
  /** Each position's figures at its last mark: a valuation values again only the positions whose object or mark changed. */
  private readonly values = new PositionValues();

  constructor(totals: LedgerTotals, positions: LedgerPosition[] = []) {
    this.totals = { ...totals, otherCash: { ...totals.otherCash } };
    for (const p of positions) this.positions.set(p.conId, { ...p });
  }

  static fresh(startingCash: Decimal.Value, base: string = BASE_CURRENCY): Ledger {
    const c = new Decimal(startingCash);
    return new Ledger({ base, startingCash: c, cash: c, otherCash: {}, commissions: ZERO, fees: ZERO, realizedGross: ZERO });
  }

  /** The currency cash totals, P&L and valuations are reported in. */
  get base(): string {
    return this.totals.base ?? BASE_CURRENCY;
  }

  clone(): Ledger {
    return new Ledger(this.totals, [...this.positions.values()]);
  }

  /** All positions, flat ones included (they keep their realised P&L). */
  allPositions(): LedgerPosition[] {
    return [...this.positions.values()];
  }

  openPositions(): LedgerPosition[] {
    return this.allPositions().filter((p) => !p.quantity.isZero());
  }

  /** Whether any option position is open (their margin depends on the shares that cover them: option-margin.ts). */
  holdsOptions(): boolean {
    for (const p of this.positions.values()) if (p.cls === 'option' && !p.quantity.isZero()) return true;
    return false;
  }

  position(conId: number): LedgerPosition | undefined {
    return this.positions.get(conId);
  }

  /** Cash held in `currency` (in that currency). */
  cashIn(currency: string): Decimal {
    return currency === this.base ? this.totals.cash : (this.totals.otherCash[currency] ?? ZERO);
  }

  private addCash(currency: string, amount: Decimal): void {
    if (currency === this.base) this.totals.cash = this.totals.cash.plus(amount);
    else this.totals.otherCash[currency] = this.cashIn(currency).plus(amount);
  }

  applyFill(fill: FillInput): FillEffect {
    const mult = decimalOf(fill.contract.multiplier ?? 1);
    const signed = fill.side === 'BUY' ? fill.quantity : fill.quantity.neg();
    // In the contract's currency: the basis stays there, so a later rate move shows as P&L.
    const unitValue = times(fill.price, mult);
    const commissionCurrency = fill.commissionCurrency ?? BASE_CURRENCY;
    const commissionFx = this.rateOfCommission(fill, commissionCurrency);
    // The commission as the position and the totals carry it: in the base currency at this fill's rate.
    const commissionBase = times(fill.commission, commissionFx);
    const existing = this.positions.get(fill.contract.conId);
    const pos: LedgerPosition = existing
      ? { ...existing }
      : { conId: fill.contract.conId, contract: fill.contract, cls: fill.cls, quantity: ZERO, grossCost: ZERO, commissionCost: ZERO, realized: ZERO, openedAt: fill.time };

    let realizedGross = ZERO;
    let realizedNet: Decimal | null = null;
    // Futures: the part of the closed P&L that daily settlements already paid into cash.
    let variationPart = ZERO;
    const sameDirection = pos.quantity.isZero() || pos.quantity.isPositive() === signed.isPositive();
    if (sameDirection) {
      if (pos.quantity.isZero()) pos.openedAt = fill.time;
      pos.grossCost = pos.grossCost.plus(signed.times(unitValue));
      pos.commissionCost = pos.commissionCost.plus(commissionBase);
    } else {
      const held = pos.quantity.abs();
      const closeQty = Decimal.min(fill.quantity, held);
      const whole = closeQty.eq(held);
      // Closing the whole position takes its whole cost, so no division residue is left behind.
      const costPart = whole ? pos.grossCost : pos.grossCost.times(closeQty).dividedBy(held);
      const commPart = whole ? pos.commissionCost : pos.commissionCost.times(closeQty).dividedBy(held);
      const closeCommission = closeQty.eq(fill.quantity) ? commissionBase : commissionBase.times(closeQty).dividedBy(fill.quantity);
      const settled = pos.variationSettled ?? ZERO;
      variationPart = whole ? settled : settled.times(closeQty).dividedBy(held);
      pos.variationSettled = settled.minus(variationPart);
      const direction = pos.quantity.isPositive() ? 1 : -1;
      realizedGross = closeQty.times(unitValue).times(direction).minus(costPart);
      // In the base currency at the closing fill's rate; the commissions are already in it.
      realizedNet = realizedGross.times(fill.fxRate).minus(commPart).minus(closeCommission);
      pos.grossCost = pos.grossCost.minus(costPart);
      pos.commissionCost = pos.commissionCost.minus(commPart);
      const opening = fill.quantity.minus(closeQty);
      if (opening.gt(0)) {
        // The fill crossed through flat: the rest opens a position the other way.
        pos.grossCost = (fill.side === 'BUY' ? opening : opening.neg()).times(unitValue);
        pos.commissionCost = commissionBase.minus(closeCommission);
        pos.openedAt = fill.time;
      }
      pos.realized = pos.realized.plus(realizedNet);
    }
    pos.quantity = pos.quantity.plus(signed);
    if (pos.quantity.isZero()) {
      pos.grossCost = ZERO;
      pos.commissionCost = ZERO;
      pos.variationSettled = ZERO;
    }
    this.positions.set(pos.conId, pos);

    this.totals.commissions = this.totals.commissions.plus(commissionBase);
    this.totals.fees = this.totals.fees.plus(times(fill.fees ?? ZERO, commissionFx));
    this.totals.realizedGross = this.totals.realizedGross.plus(times(realizedGross, fill.fxRate));
    this.addCash(commissionCurrency, fill.commission.neg());
    const currency = fill.contract.currency;
    if (!cashSettled(fill.cls)) this.addCash(currency, realizedGross.minus(variationPart));
    else {
      this.addCash(currency, signed.times(unitValue).neg());
      // An FX trade delivers the pair's base currency too: USD.JPY bought adds the USD it bought.
      const pairBase = fxPairBase(fill.contract);
      if (pairBase) this.addCash(pairBase, signed);
    }
    return { realizedPnl: realizedNet, position: pos };
  }

  /** Base currency per unit of the currency a fill's commission is paid in. */
  private rateOfCommission(fill: FillInput, currency: string): Decimal {
    if (currency === this.base) return ONE;
    if (currency === fill.contract.currency) return fill.fxRate;
    if (fill.commissionRate) return fill.commissionRate;
    throw new Error(`No conversion rate given for a commission in ${currency}`);
  }

  /**
   * Books interest (negative: paid) or a borrow fee into the cash of `currency`, itemised in
   * `totals.interest` in the base currency at `rate` (base per unit of `currency`; 1 for the base).
   */
  bookInterest(currency: string, amount: Decimal, rate?: Decimal): void {
    if (currency !== this.base && !rate) throw new Error(`No conversion rate given for interest in ${currency}`);
    this.addCash(currency, amount);
    this.totals.interest = (this.totals.interest ?? ZERO).plus(currency === this.base ? amount : amount.times(rate ?? 1));
  }

  /**
   * Daily settlement of a futures position: the change in its value since the
   * last settlement (or its fills) is paid into cash as variation margin, at
   * `price`. Net liquidation does not move; cash and the open P&L trade places.
   * Returns the amount paid (contract currency; negative when collected).
   */
  settleVariation(conId: number, price: Decimal, at: string): Decimal {
    const p = this.positions.get(conId);
    if (!p || p.cls !== 'future' || p.quantity.isZero()) return ZERO;
    const value = p.quantity.times(price).times(p.contract.multiplier ?? 1);
    const vm = value.minus(p.grossCost).minus(p.variationSettled ?? ZERO);
    this.positions.set(conId, { ...p, variationSettled: (p.variationSettled ?? ZERO).plus(vm), settledAt: at });
    this.addCash(p.contract.currency, vm);
    return vm;
  }

  /** Values every open position at its mark and derives the account's IBKR-style figures. */
  valuation(markOf: (p: LedgerPosition) => Mark | null, rateOf: RateOf = baseOnly(this.base)): AccountValuation {
    const cashBalances: CashBalance[] = [{ currency: this.base, amount: this.totals.cash, rate: ONE }];
    for (const [currency, amount] of Object.entries(this.totals.otherCash).sort(([a], [b]) => a.localeCompare(b))) {
      cashBalances.push({ currency, amount, rate: decimalOf(rateOf(currency)) });
    }
    const cash = cashBalances.reduce((acc, b) => acc.plus(times(b.amount, b.rate)), ZERO);
    let nlv = cash;
    let gpv = ZERO;
    let init = ZERO;
    let maint = ZERO;
    let unrealizedTotal = ZERO;
    let realizedTotal = ZERO;
    const out: PositionValuation[] = [];
    for (const p of this.allPositions()) realizedTotal = realizedTotal.plus(p.realized);
    const open = this.openPositions();
    // Shares that can cover short options (option-margin.ts), used up as the options are margined.
    const cover = shareCover(open);
    for (const p of open) {
      const mark = markOf(p);
      if (!mark) {
        out.push({ position: p, markPrice: null, marketValue: null, unrealized: null, avgCost: averageCost(p, 1), initMargin: ZERO, maintMargin: ZERO });
        continue;
      }
      // Each sum takes its operands in position order, whether a position's figures are new or kept.
      const { pv, nlv: nlvPart, gpv: gpvPart } = this.values.of(p, mark, cover);
      if (pv.unrealized) unrealizedTotal = unrealizedTotal.plus(pv.unrealized);
      if (nlvPart) nlv = nlv.plus(nlvPart);
      if (gpvPart) gpv = gpv.plus(gpvPart);
      init = init.plus(pv.initMargin);
      maint = maint.plus(pv.maintMargin);
      out.push(pv);
    }
    const availableFunds = nlv.minus(init);
    return {
      cash,
      cashBalances,
      netLiquidation: nlv,
      equityWithLoan: nlv,
      grossPositionValue: gpv,
      initMargin: init,
      maintMargin: maint,
      availableFunds,
      excessLiquidity: nlv.minus(maint),
      // Reg T overnight buying power: available funds at 50% initial margin, so what it reports is what an order
      // check then accepts (the 4x intraday figure IBKR shows pattern day traders is not modelled).
      buyingPower: Decimal.max(availableFunds, 0).times(2),
      unrealized: unrealizedTotal,
      realized: realizedTotal,
      positions: out,
    };
  }
}

/** The currency an FX pair delivers (USD for USD.JPY), or null for anything else. */
export function fxPairBase(contract: Contract): string | null {
  if (contract.securityType !== 'CASH') return null;
  const [base, quote] = contract.symbol.split('.');
  return base && quote ? base : null;
}
