/**
 * The simulated account valued against the market: the ledger (cash,
 * positions, realized P&L) marked at the current prices and FX rates, the
 * account summary and positions IBKR reports, and the daily P&L measured from
 * the previous close for what was held overnight plus today's fills.
 *
 * A valuation is cached per (instant, ledger version), since preview, place
 * and the loss check each ask for it; today's fills are loaded once per day
 * and then extended as fills commit. The reports made from a valuation (the
 * summary, the positions, the daily P&L) are kept with it, and made again only
 * when it or something else they read changed (report-memo.ts).
 */
import { Decimal } from 'decimal.js';
import { toCents } from '../../core/money.js';
import type { AccountPnL, AccountSummary, Fill, Position } from '../../core/models.js';
import { decimalOf, ONE, times } from './decimals.js';
import { BASE_CURRENCY, Ledger, type AccountValuation, type FillEffect, type FillInput, type LedgerPosition, type Mark, type RateOf } from './ledger.js';
import type { SimMarketData } from './market-data.js';
import { etToUtc, toEt } from './sessions.js';
import type { SimState } from './state.js';
import type { SimStore, StoredAccount } from './store.js';
import { sameMark } from './position-value.js';
import { copyPnl, copyPositions, copySummary, type PnlMemo, type ReportMemo } from './report-memo.js';
import { isoTime } from './iso-time.js';

interface DayFills {
  since: string;
  accountId: string;
  /** Per instrument, in the store's order; keys in order of first fill. */
  byConId: Map<number, Array<Fill & { conId: number }>>;
  /** Fills in byConId (a daily P&L made with fewer is out of date). */
  count: number;
  /** Running sums over each instrument's fills, extended as fills arrive (see dayFlows). */
  folds: Map<number, { count: number; mult: Decimal; fx: number; signedSum: Decimal; flows: Decimal }>;
}

/** A valuation with the instant and ledger version it was made for, and the mark each open position had. */
interface Valued {
  at: number;
  version: number;
  value: AccountValuation;
  marks: Map<number, Mark | null>;
  /** The rate of each currency other than the base that the valuation read. */
  rates: Map<string, number>;
}

/**
 * At most the account's available funds, while every mark and rate the valuation `base` read is the same and the
 * positions opened since are at `marks`: `base`'s available funds less twice what each stock fill since can have
 * taken (stockFillCannotExhaust's bound, margin.ts). For the admission check of the next orders of a turn: each
 * fill made the account's next valuation a new one, which the check needed only to see that funds were plenty.
 */
interface FundsFloor {
  /** The ledger version it holds for. */
  version: number;
  base: Valued;
  /** Marks of the positions `base` did not mark (opened since), as the bound assumed them. */
  marks: Map<number, Mark>;
  floor: Decimal;
  /** Fills since, with their marks, not yet taken off `floor` (taken off when a check asks: at 50 orders/s none does). */
  fills: Array<{ fill: FillInput; mark: Mark }>;
}

export class AccountValuer {
  private current: Ledger = Ledger.fresh(0);
  /** Bumped whenever the ledger changes: the valuation cache is keyed by it and the instant. */
  private ledgerVersion = 0;
  private valuationCache: Valued | null = null;
  /**
   * Today's fills (for the daily P&L), loaded from the store once per day and then appended as fills
   * are committed, so getPnl does not read and parse the whole day's history on every call.
   */
  private dayFills: DayFills | null = null;
  /** The New York day the last P&L fell in, [from, to) in ms with its start as ISO text (days change once a day). */
  private pnlDay: { from: number; to: number; since: string } | null = null;
  /** The last reports and the valuation they were made from (an assessment asks for all three after the loss check asked for the P&L). */
  private summaryMemo: ReportMemo<AccountSummary> | null = null;
  private positionsMemo: ReportMemo<Position[]> | null = null;
  private pnlMemo: PnlMemo | null = null;
  private fundsFloor: FundsFloor | null = null;

  constructor(
    private readonly sim: SimState,
    private readonly prices: SimMarketData,
  ) {}

  get ledger(): Ledger {
    return this.current;
  }

  /** Takes the account as stored (at connect). */
  load(account: StoredAccount): void {
    this.current = new Ledger(account.totals, account.positions);
    this.ledgerChanged();
  }

  /** Forgets every cache (the account was loaded or closed). */
  ledgerChanged(): void {
    this.ledgerVersion += 1;
    this.valuationCache = null;
    this.dayFills = null;
    this.fundsFloor = null;
  }

  /** Books a fill in the ledger (in memory; the caller writes the result to the store). */
  applyFill(fill: FillInput): FillEffect {
    const floor = this.fundsFloor;
    const effect = this.current.applyFill(fill);
    this.ledgerVersion += 1;
    this.valuationCache = null;
    this.fundsFloor = floor !== null && floor.version === this.ledgerVersion - 1 && this.lowered(floor, fill, effect.position) ? floor : null;
    return effect;
  }

  /**
   * Takes a stock fill into `floor` (false when the bound does not apply): only a stock traded and paid in the base
   * currency, in an account without options, at a mark the floor's base read or one taken now. Such a fill of q at
   * `price` against the mark m moves net liquidation by +/-q x (m - price) - commission, and the initial margin by at
   * most q x m x initial rate (margin.ts, stockFillCannotExhaust); twice that is taken off, as the check doubles it.
   */
  private lowered(floor: FundsFloor, fill: FillInput, position: LedgerPosition): boolean {
    const base = this.current.base;
    if (fill.cls !== 'equity' || fill.contract.currency !== base || (fill.commissionCurrency ?? BASE_CURRENCY) !== base || this.current.holdsOptions()) return false;
    const conId = position.conId;
    let mark = floor.base.marks.has(conId) ? floor.base.marks.get(conId) : floor.marks.get(conId);
    if (mark === undefined) {
      mark = this.markOf(this.sim.clock.now())(position);
      if (mark !== null) floor.marks.set(conId, mark);
    }
    if (!mark || mark.fx !== 1) return false;
    floor.version = this.ledgerVersion;
    floor.fills.push({ fill, mark });
    return true;
  }

  /**
   * At most the account's available funds now, for a check that needs only to know they are plenty (the admission
   * of a stock order): after stock fills since the last valuation, while its marks and rates stand, a floor taken
   * down by each fill (FundsFloor) instead of valuing the account again; otherwise the valuation's own figure.
   */
  availableFundsAtMost(): Decimal {
    const f = this.fundsFloor;
    if (f !== null && f.version === this.ledgerVersion && f.version !== f.base.version && !this.current.holdsOptions()) {
      const now = this.sim.clock.now();
      if (this.sameInputs(f.base, now) && this.sameMarks(f.marks, now)) {
        for (const { fill, mark } of f.fills) {
          const m = decimalOf(mark.price);
          const perUnit = m.minus(fill.price).abs().plus(m.abs().times(decimalOf(mark.margin.initialRate ?? 0.5)));
          const fall = times(fill.quantity, decimalOf(fill.contract.multiplier ?? 1)).times(perUnit).plus(fill.commission.abs());
          f.floor = f.floor.minus(fall.times(2));
        }
        f.fills.length = 0;
        return f.floor;
      }
    }
    return this.valuation().availableFunds;
  }

  /** Whether each position in `marks` has the same mark at `t`. */
  private sameMarks(marks: Map<number, Mark>, t: number): boolean {
    if (marks.size === 0) return true;
    const markAt = this.markOf(t);
    for (const [conId, was] of marks) {
      const p = this.current.position(conId);
      const mark = p ? markAt(p) : null;
      if (mark === null || !sameMark(mark, was)) return false;
    }
    return true;
  }

  /** Interest or a borrow fee into cash (in memory; the caller writes the totals). */
  bookInterest(currency: string, amount: Decimal, rate?: Decimal): void {
    this.current.bookInterest(currency, amount, rate);
    this.ledgerVersion += 1;
    this.valuationCache = null;
    this.fundsFloor = null;
  }

  /** A futures position's daily settlement (in memory; the caller writes the result to the store). */
  settleVariation(conId: number, price: Decimal, at: string): Decimal {
    const paid = this.current.settleVariation(conId, price, at);
    this.ledgerVersion += 1;
    this.valuationCache = null;
    this.fundsFloor = null;
    return paid;
  }

  /** A fill has been committed: today's fills (in the store's order) gain it. */
  fillCommitted(fill: Fill, conId: number, accountId: string): void {
    const day = this.dayFills;
    if (day && day.accountId === accountId && fill.time >= day.since) {
      let list = day.byConId.get(conId);
      if (!list) day.byConId.set(conId, (list = []));
      // conId first, as store.fills() makes them: one hidden class for every fill of the day (see there).
      list.push({ conId, ...fill });
      day.count += 1;
    }
  }

  markOf(t: number): (p: LedgerPosition) => Mark | null {
    const { instruments, market } = this.sim;
    return (p) => {
      const inst = instruments.forContract(p.contract);
      if (!inst) return null;
      const touch = market.touch(inst, t);
      // FX marks at the mid (no trades on IDEALPRO); everything else at the last trade.
      const price = inst.cls === 'fx' ? touch.mid : touch.last;
      return {
        price,
        fx: this.prices.fxRate(inst.contract.currency, t),
        margin: inst.margin,
        ...(inst.option ? { underlyingPrice: market.fair(inst.option.underlying, t) } : {}),
      };
    };
  }

  /** USD per unit of each currency at `t`, at the rates the simulator publishes (its FX pairs). */
  rateOf(t: number): RateOf {
    return (currency) => this.prices.fxRate(currency, t);
  }

  /** The account valued now; computed once per (instant, ledger version), since preview, place and the loss check each ask. */
  valuation(): AccountValuation {
    return this.valuedNow().value;
  }

  /**
   * The valuation now with the instant and the marks it used (the daily P&L reads the same marks, not new ones).
   *
   * A valuation is a pure function of the ledger, the marks of its open positions and the rates of its
   * other currencies. So the last one is reused at a later instant when the ledger is the same version and
   * every mark and rate it read is the same now: prices move once a second, and the assessment, the
   * buying-power check and the loss check of orders within that second then value the account once.
   */
  private valuedNow(): Valued {
    const now = this.sim.clock.now();
    const c = this.valuationCache;
    if (c && c.version === this.ledgerVersion) {
      if (c.at === now) return c;
      if (this.sameInputs(c, now)) {
        const valued = { ...c, at: now };
        this.valuationCache = valued;
        this.fundsFloor = { version: valued.version, base: valued, marks: new Map(), floor: valued.value.availableFunds, fills: [] };
        return valued;
      }
    }
    const marks = new Map<number, Mark | null>();
    const rates = new Map<string, number>();
    const markAt = this.markOf(now);
    const rateAt = this.rateOf(now);
    const value = this.current.valuation(
      (p) => {
        const mark = markAt(p);
        marks.set(p.conId, mark);
        return mark;
      },
      (currency) => {
        const rate = rateAt(currency);
        rates.set(currency, rate);
        return rate;
      },
    );
    const valued = { at: now, version: this.ledgerVersion, value, marks, rates };
    this.valuationCache = valued;
    this.fundsFloor = { version: valued.version, base: valued, marks: new Map(), floor: value.availableFunds, fills: [] };
    return valued;
  }

  /** Whether every mark and rate valuation `c` read (of the same ledger) is the same at `t`. */
  private sameInputs(c: Valued, t: number): boolean {
    const markAt = this.markOf(t);
    for (const [conId, was] of c.marks) {
      const p = this.current.position(conId);
      if (!p) return false;
      const mark = markAt(p);
      if (mark === null || was === null) {
        if (mark !== was) return false;
        continue;
      }
      if (!sameMark(mark, was)) return false;
    }
    const rateAt = this.rateOf(t);
    for (const [currency, was] of c.rates) if (rateAt(currency) !== was) return false;
    return true;
  }

  /** The account valued at another instant (not cached): financing values each day's end. */
  valuationAt(t: number): AccountValuation {
    return this.current.valuation(this.markOf(t), this.rateOf(t));
  }

  /** New York midnight that starts the day of `t`, as ISO text. */
  private dayStartOf(t: number): string {
    const d = this.pnlDay;
    if (d && d.from <= t && t < d.to) return d.since;
    const day = toEt(t).day;
    const from = etToUtc(day, 0);
    const since = new Date(from).toISOString();
    this.pnlDay = { from, to: etToUtc(day + 1, 0), since };
    return since;
  }

  /** Fills of `accountId` at or after `since` (store order), from the day cache. */
  private fillsSince(store: SimStore, since: string, accountId: string): DayFills {
    const d = this.dayFills;
    if (d && d.since === since && d.accountId === accountId) return d;
    const fills = store.fills({ since, accountId });
    const byConId = new Map<number, Array<Fill & { conId: number }>>();
    for (const f of fills) {
      let list = byConId.get(f.conId);
      if (!list) byConId.set(f.conId, (list = []));
      list.push(f);
    }
    const fresh: DayFills = { since, accountId, byConId, count: fills.length, folds: new Map() };
    this.dayFills = fresh;
    return fresh;
  }

  async getAccountSummary(accountId: string): Promise<AccountSummary> {
    this.sim.requireStore();
    this.sim.requireAccount(accountId);
    const v = this.valuation();
    const timestamp = isoTime(this.sim.clock.now());
    const memo = this.summaryMemo;
    if (memo && memo.value === v && memo.accountId === accountId) return copySummary(memo.report, timestamp);
    const summary: AccountSummary = {
      accountId,
      currency: this.current.base,
      netLiquidation: toCents(v.netLiquidation),
      totalCash: toCents(v.cash),
      cashBalances: v.cashBalances.map((b) => ({ currency: b.currency, amount: toCents(b.amount), amountInBase: toCents(times(b.amount, b.rate)), rate: b.rate.toNumber() })),
      buyingPower: toCents(v.buyingPower),
      availableFunds: toCents(v.availableFunds),
      excessLiquidity: toCents(v.excessLiquidity),
      equityWithLoanValue: toCents(v.equityWithLoan),
      grossPositionValue: toCents(v.grossPositionValue),
      initMarginReq: toCents(v.initMargin),
      maintMarginReq: toCents(v.maintMargin),
      unrealizedPnl: toCents(v.unrealized),
      realizedPnl: toCents(v.realized),
      timestamp,
    };
    this.summaryMemo = { value: v, accountId, report: summary };
    return copySummary(summary, timestamp);
  }

  async getPositions(accountId: string): Promise<Position[]> {
    this.sim.requireStore();
    this.sim.requireAccount(accountId);
    const v = this.valuation();
    const memo = this.positionsMemo;
    if (memo && memo.value === v && memo.accountId === accountId) return copyPositions(memo.report);
    const positions = v.positions.map((pv): Position => ({
      accountId,
      symbol: pv.position.contract.symbol,
      conId: pv.position.conId,
      securityType: pv.position.contract.securityType,
      currency: pv.position.contract.currency,
      quantity: pv.position.quantity.toNumber(),
      avgCost: pv.avgCost.toDecimalPlaces(6).toNumber(),
      marketPrice: pv.markPrice ? pv.markPrice.toNumber() : null,
      marketValue: pv.marketValue ? toCents(pv.marketValue) : null,
      unrealizedPnl: pv.unrealized ? toCents(pv.unrealized) : null,
      realizedPnl: toCents(pv.position.realized),
    }));
    this.positionsMemo = { value: v, accountId, report: positions };
    return copyPositions(positions);
  }

  async getPnl(accountId: string): Promise<AccountPnL> {
    const store = this.sim.requireStore();
    this.sim.requireAccount(accountId);
    // One instant for all of it: the valuation's, whose marks the daily P&L reuses.
    const { at: now, value: v, marks: valuedMarks } = this.valuedNow();
    // The day starts at New York midnight; its P&L is measured from the previous close for what was held overnight.
    const today = this.fillsSince(store, this.dayStartOf(now), accountId);
    const markAt = this.markOf(now);
    const timestamp = isoTime(now);
    const memo = this.pnlMemo;
    if (memo && this.pnlMemoHolds(memo, v, today, accountId, now, markAt)) return copyPnl(memo.report, timestamp);
    const flatMarks = new Map<number, Mark | null>();
    const closes: PnlMemo['closes'] = [];
    // Open positions were marked by the valuation; one traded flat today is marked here.
    const marks = (p: LedgerPosition): Mark | null => {
      if (valuedMarks.has(p.conId)) return valuedMarks.get(p.conId) ?? null;
      const mark = markAt(p);
      flatMarks.set(p.conId, mark);
      return mark;
    };
    const rows = new Map<number, LedgerPosition>();
    for (const p of this.current.openPositions()) rows.set(p.conId, p);
    for (const conId of today.byConId.keys()) {
      const p = this.current.position(conId);
      if (p) rows.set(p.conId, p);
    }
    let dailyTotal = new Decimal(0);
    const bySymbol = [...rows.values()].map((p) => {
      const pv = v.positions.find((x) => x.position.conId === p.conId);
      const inst = this.sim.instruments.forContract(p.contract);
      const mark = marks(p);
      const multiplier = p.contract.multiplier ?? 1;
      const mult = decimalOf(multiplier);
      let daily: Decimal | null = null;
      if (inst && mark) {
        const { signedSum, flows } = dayFlows(today, p, mult, mark.fx, this.current.base, this.rateOf(now));
        // Quantities are whole numbers, so subtracting their sum is exactly subtracting them one by one.
        const startQty = p.quantity.minus(signedSum);
        const close = this.sim.market.previousClose(inst, now);
        closes.push({ inst, close });
        const prevClose = close ?? mark.price;
        const fx = decimalOf(mark.fx);
        const endValue = times(times(p.quantity.times(decimalOf(mark.price)), mult), fx);
        const startValue = times(times(startQty.times(decimalOf(prevClose)), mult), fx);
        daily = endValue.minus(startValue).minus(flows);
        dailyTotal = dailyTotal.plus(daily);
      }
      return {
        symbol: p.contract.symbol,
        conId: p.conId,
        position: p.quantity.toNumber(),
        dailyPnl: daily ? toCents(daily) : null,
        unrealizedPnl: pv?.unrealized ? toCents(pv.unrealized) : p.quantity.isZero() ? 0 : null,
        realizedPnl: toCents(p.realized),
        marketValue: pv?.marketValue ? toCents(pv.marketValue) : p.quantity.isZero() ? 0 : null,
      };
    });
    const pnl: AccountPnL = {
      accountId,
      currency: this.current.base,
      dailyPnl: toCents(dailyTotal),
      unrealizedPnl: toCents(v.unrealized),
      realizedPnl: toCents(v.realized),
      bySymbol,
      timestamp,
    };
    this.pnlMemo = { value: v, accountId, day: today, fills: today.count, flatMarks, closes, report: pnl };
    return copyPnl(pnl, timestamp);
  }

  /**
   * Whether the daily P&L `memo` is what getPnl would make now: the same valuation (so the same ledger and
   * the same marks of open positions), the same day's fills, and the same marks and previous closes for
   * everything else it read (positions traded flat today, the closes it measured the day from).
   */
  private pnlMemoHolds(memo: PnlMemo, v: AccountValuation, today: DayFills, accountId: string, now: number, markAt: (p: LedgerPosition) => Mark | null): boolean {
    if (memo.value !== v || memo.accountId !== accountId || memo.day !== today || memo.fills !== today.count) return false;
    for (const [conId, was] of memo.flatMarks) {
      const p = this.current.position(conId);
      const mark = p ? markAt(p) : null;
      if (mark === null || was === null ? mark !== was : !sameMark(mark, was)) return false;
    }
    for (const { inst, close } of memo.closes) if (this.sim.market.previousClose(inst, now) !== close) return false;
    return true;
  }
}

/**
 * Today's signed quantity and cash flows (at `fx`, in the base currency) of one instrument, folded in fill
 * order exactly as the loop over the day's fills did; the fold is kept and only new fills are added while
 * mult and fx stay the same (always, for instruments in the base currency), so the daily P&L costs
 * O(new fills), not O(day). A commission is paid in the base currency or the contract's (charges.ts), so
 * `fx` also converts it; `rateOf` covers any other currency an older fill may name.
 */
function dayFlows(day: DayFills, p: LedgerPosition, mult: Decimal, fx: number, base: string, rateOf: RateOf): { signedSum: Decimal; flows: Decimal } {
  const conId = p.conId;
  const fills = day.byConId.get(conId) ?? [];
  let fold = day.folds.get(conId);
  if (!fold || !fold.mult.eq(mult) || fold.fx !== fx || fold.count > fills.length) {
    fold = { count: 0, mult, fx, signedSum: new Decimal(0), flows: new Decimal(0) };
    day.folds.set(conId, fold);
  }
  const fxDec = decimalOf(fx);
  for (; fold.count < fills.length; fold.count++) {
    const f = fills[fold.count];
    if (!f) break;
    const signed = f.side === 'BUY' ? decimalOf(f.quantity) : decimalOf(f.quantity).neg();
    fold.signedSum = fold.signedSum.plus(signed);
    const commissionRate = f.commissionCurrency === base ? ONE : f.commissionCurrency === p.contract.currency ? fxDec : decimalOf(rateOf(f.commissionCurrency));
    fold.flows = fold.flows.plus(times(times(signed.times(decimalOf(f.price)), mult), fxDec)).plus(times(decimalOf(f.commission), commissionRate));
  }
  return { signedSum: fold.signedSum, flows: fold.flows };
}
