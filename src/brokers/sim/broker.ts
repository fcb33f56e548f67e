/**
 * The embedded simulated broker: ties the catalogue, the market model, the
 * matching engine, the ledger and the SQLite store into a Broker.
 *
 * Resting orders are evaluated by a tick loop on the injected clock: a timer
 * (unref'd, stopped by close()) for the system clock, and the clock's own
 * advance notifications for a ManualClock, so tests move time and never sleep.
 * When time jumps, the loop steps through the gap at session boundaries, order
 * expiries and auctions plus a regular grid, so a DAY order expires at the
 * close rather than filling the next morning.
 *
 * Events are delivered on a microtask after the state change that caused them
 * is committed: a listener that calls back into the broker (to place or cancel)
 * never runs in the middle of the matching loop.
 */
import { lockSimAccount } from './account-lock.js';
import { Decimal } from 'decimal.js';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { AccountError, BrokerConnectionError, ContractResolutionError, OrderNotFoundError } from '../../core/errors.js';
import { toCents } from '../../core/money.js';
import {
  TERMINAL_STATUSES,
  type AccountPnL,
  type AccountSummary,
  type Bar,
  type BrokerStatus,
  type Contract,
  type Fill,
  type OptionChain,
  type OptionQuote,
  type OrderSpec,
  type OrderStatus,
  type Position,
  type Quote,
  type SymbolSpec,
} from '../../core/models.js';
import type {
  BarsQuery,
  Broker,
  BrokerEvents,
  BrokerOrderState,
  ExecutionsQuery,
  OptionChainRequest,
  PlaceOrderAck,
  PlaceOrderRequest,
  Unsubscribe,
  WhatIfResult,
} from '../../core/broker/port.js';
import { BrokerEventHub } from '../../core/broker/event-hub.js';
import type { Instrument } from './catalogue.js';
import { fillCommission, orderCommission } from './commissions.js';
import { Instruments } from './instruments.js';
import { Ledger, type AccountValuation, type LedgerPosition, type Mark } from './ledger.js';
import { Market, roundTick } from './market.js';
import {
  fillOrKill,
  initialTrigger,
  isMarketable,
  needsTrigger,
  onTick,
  restingFill,
  sweep,
  updateTrigger,
  workingLimit,
  type Book,
  type Execution,
} from './matching.js';
import { listedExpirations, listedStrikes } from './options.js';
import { boundariesBetween, canExecute, closeOfSessionAt, dayOrderExpiry, etToUtc, nextClose, nextOpen, toEt, type SessionMode } from './sessions.js';
import { SimStore, type SimOrderRecord } from './store.js';

export interface SimBrokerOptions {
  dataDir: string;
  seed: number;
  session: SessionMode;
  startingCash: number;
  clock?: Clock;
  /** Default 'DU1234567' (IBKR paper account ids start with D). */
  accountId?: string;
  /** How often the tick loop runs on the system clock; default 1000 ms. */
  tickIntervalMs?: number;
}

/** Most evaluation instants one jump of the clock is split into (besides boundaries). */
const MAX_GRID_STEPS = 720;
/** In real sessions, MOC orders are accepted until 15:50 ET, as on NYSE/Nasdaq. */
const MOC_CUTOFF_MINUTES = 15 * 60 + 50;


export class SimBroker implements Broker {
  readonly kind = 'sim' as const;
  private readonly clock: Clock;
  private readonly accountId: string;
  private readonly tickIntervalMs: number;
  private readonly market: Market;
  private readonly instruments: Instruments;
  private store: SimStore | null = null;
  private ledger: Ledger = Ledger.fresh(0);
  /** Working (non-terminal) orders, in arrival order: time priority. */
  private readonly open = new Map<string, SimOrderRecord>();
  // A failing listener must not break the simulator or starve the other listeners.
  private readonly events = new BrokerEventHub();
  private readonly quoteSubs = new Map<number, { inst: Instrument; listeners: Set<(q: Quote) => void> }>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private stopClock: (() => void) | null = null;
  private state: BrokerStatus['state'] = 'disconnected';
  private lastEval = 0;
  private evaluating = false;
  private lastError: string | null = null;
  /** Bumped whenever the ledger changes: the valuation cache is keyed by it and the instant. */
  private ledgerVersion = 0;
  private valuationCache: { at: number; version: number; value: AccountValuation } | null = null;
  /**
   * Today's fills (for the daily P&L), loaded from the store once per day and then appended as fills
   * are committed, so getPnl does not read and parse the whole day's history on every call.
   */
  private dayFills: DayFills | null = null;

  constructor(private readonly options: SimBrokerOptions) {
    this.clock = options.clock ?? systemClock;
    this.accountId = options.accountId ?? 'DU1234567';
    this.tickIntervalMs = Math.max(10, options.tickIntervalMs ?? 1000);
    this.market = new Market(options.seed, options.session);
    this.instruments = new Instruments(this.market, () => this.clock.now());
  }

  // ---------------------------------------------------------------------------
  // Connection
  // ---------------------------------------------------------------------------

  /** Releases sim.lock; set while connected. */
  private unlock: (() => void) | null = null;

  async connect(): Promise<void> {
    if (this.state === 'connected') return;
    this.state = 'connecting';
    try {
      this.unlock = lockSimAccount(this.options.dataDir);
      const store = new SimStore(this.options.dataDir);
      this.store = store;
      const account = store.loadAccount(this.options.startingCash);
      this.ledger = new Ledger(account.totals, account.positions);
      this.ledgerChanged();
      this.open.clear();
      for (const rec of store.openOrders()) this.open.set(rec.state.orderId, rec);
      const now = this.clock.now();
      const saved = Number(store.meta('last_eval') ?? NaN);
      // While the gateway was down the simulated exchange kept going: replay the gap so working orders fill or expire.
      this.lastEval = Number.isFinite(saved) && saved <= now ? saved : now;
    } catch (err) {
      this.state = 'disconnected';
      this.store?.close();
      this.store = null;
      this.unlock?.();
      this.unlock = null;
      this.lastError = err instanceof Error ? err.message : String(err);
      throw new BrokerConnectionError(`Simulated broker could not open its account in ${this.options.dataDir}: ${this.lastError}`);
    }
    this.state = 'connected';
    this.stopClock = this.clock.onAdvance((t) => this.advanceTo(t));
    this.timer = setInterval(() => this.advanceTo(this.clock.now()), this.tickIntervalMs);
    // The tick loop must never keep a process (a CLI command, a test run) alive.
    this.timer.unref();
    this.advanceTo(this.clock.now());
    this.emit('connection', { state: 'connected', message: 'Simulated broker ready' });
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopClock?.();
    this.stopClock = null;
    if (this.store) {
      this.store.setMeta('last_eval', String(this.lastEval));
      this.store.close();
    }
    this.store = null;
    this.unlock?.();
    this.unlock = null;
    this.open.clear();
    this.quoteSubs.clear();
    this.ledgerChanged();
    if (this.state !== 'disconnected') {
      this.state = 'disconnected';
      this.emit('connection', { state: 'disconnected', message: 'Simulated broker closed' });
    }
  }

  status(): BrokerStatus {
    const connected = this.state === 'connected';
    return {
      kind: 'sim',
      state: this.state,
      connected,
      serverTime: connected ? new Date(this.clock.now()).toISOString() : null,
      accounts: connected ? [this.accountId] : [],
      marketDataType: 'SIMULATED',
      lastError: this.lastError,
      detail: { seed: this.options.seed, session: this.options.session, dataDir: this.options.dataDir, workingOrders: this.open.size },
    };
  }

  accounts(): string[] {
    return this.state === 'connected' ? [this.accountId] : [];
  }

  on<E extends keyof BrokerEvents>(event: E, listener: BrokerEvents[E]): Unsubscribe {
    return this.events.on(event, listener);
  }

  /** Delivered on a microtask, after the change is committed: a listener never runs inside the matching loop. */
  private emit<E extends keyof BrokerEvents>(event: E, ...args: Parameters<BrokerEvents[E]>): void {
    const deliver = this.events.prepare(event, ...args);
    if (deliver) queueMicrotask(deliver);
  }

  private requireStore(): SimStore {
    if (this.state !== 'connected' || !this.store) throw new BrokerConnectionError('Simulated broker is not connected; call connect() first');
    return this.store;
  }

  private requireAccount(accountId: string): void {
    if (accountId !== this.accountId) throw new AccountError(`Account ${accountId} is not managed by this connection (managed: ${this.accountId})`, 'ACCOUNT_NOT_FOUND', { accountId });
  }

  private instrument(contract: Contract): Instrument {
    const inst = this.instruments.forContract(contract);
    if (!inst) throw new ContractResolutionError(`No security definition has been found for conId ${contract.conId} (${contract.symbol})`, 'CONTRACT_NOT_FOUND', { conId: contract.conId });
    return inst;
  }

  // ---------------------------------------------------------------------------
  // Contracts and market data
  // ---------------------------------------------------------------------------

  async resolveContracts(spec: SymbolSpec): Promise<Contract[]> {
    this.requireStore();
    return this.instruments.resolve(spec);
  }

  async getOptionChain(underlying: Contract, request: OptionChainRequest): Promise<OptionChain> {
    this.requireStore();
    const und = this.instrument(underlying);
    const now = this.clock.now();
    const timestamp = new Date(now).toISOString();
    const spot = this.market.fair(und, now);
    const base: OptionChain = {
      underlying: und.contract.symbol,
      underlyingConId: und.contract.conId,
      underlyingPrice: roundTick(spot, und.contract.minTick),
      exchange: 'SMART',
      multiplier: 100,
      expirations: [],
      strikes: [],
      options: [],
      timestamp,
    };
    if (!und.optionable) return base;
    const expirations = listedExpirations(now);
    const strikes = listedStrikes(this.instruments.strikeReference(und, now));
    const expiry = request.expiry ?? expirations[0];
    const options: OptionQuote[] = [];
    if (expiry && expirations.includes(expiry)) {
      const nearest = strikes.reduce((best, k, i) => (Math.abs(k - spot) < Math.abs((strikes[best] ?? Infinity) - spot) ? i : best), 0);
      const n = Math.max(1, request.strikesAroundSpot);
      const slice = strikes.slice(Math.max(0, nearest - n), nearest + n + 1);
      for (const strike of slice) {
        for (const right of ['C', 'P'] as const) {
          const inst = this.instruments.option(und, expiry, strike, right);
          const touch = this.market.touch(inst, now);
          const g = this.market.greeks(inst, now);
          options.push({
            conId: inst.contract.conId,
            expiry,
            strike,
            right,
            bid: touch.bid,
            ask: touch.ask,
            last: touch.last,
            impliedVolatility: round(g.iv, 4),
            delta: round(g.delta, 4),
            gamma: round(g.gamma, 6),
            theta: round(g.theta, 4),
            vega: round(g.vega, 4),
          });
        }
      }
    }
    return { ...base, expirations, strikes, options };
  }

  async getQuote(contract: Contract): Promise<Quote> {
    this.requireStore();
    return this.market.quote(this.instrument(contract), this.clock.now());
  }

  subscribeQuotes(contract: Contract, listener: (quote: Quote) => void): Unsubscribe {
    this.requireStore();
    const inst = this.instrument(contract);
    let sub = this.quoteSubs.get(inst.contract.conId);
    if (!sub) {
      sub = { inst, listeners: new Set() };
      this.quoteSubs.set(inst.contract.conId, sub);
    }
    sub.listeners.add(listener);
    // Like IBKR, a new subscription first receives the current snapshot.
    const first = this.market.quote(inst, this.clock.now());
    queueMicrotask(() => {
      if (sub.listeners.has(listener)) listener(first);
    });
    return () => {
      sub.listeners.delete(listener);
      if (sub.listeners.size === 0) this.quoteSubs.delete(inst.contract.conId);
    };
  }

  async getHistoricalBars(contract: Contract, query: BarsQuery): Promise<Bar[]> {
    this.requireStore();
    const now = this.clock.now();
    const endMs = query.endTime ? Date.parse(query.endTime) : now;
    return this.market.bars(this.instrument(contract), { ...query, endMs }, now);
  }

  // ---------------------------------------------------------------------------
  // Account
  // ---------------------------------------------------------------------------

  /** USD per unit of `currency` at `t`, from the simulated FX pairs. */
  private fxRate(currency: string, t: number): number {
    if (currency === 'USD') return 1;
    const cat = this.instruments.catalogue;
    const direct = cat.listedBySymbol(`${currency}.USD`)[0];
    if (direct) return this.market.fair(direct, t);
    const inverse = cat.listedBySymbol(`USD.${currency}`)[0];
    if (inverse) return 1 / this.market.fair(inverse, t);
    return 1;
  }

  private markOf(t: number): (p: LedgerPosition) => Mark | null {
    return (p) => {
      const inst = this.instruments.forContract(p.contract);
      if (!inst) return null;
      const touch = this.market.touch(inst, t);
      // FX marks at the mid (no trades on IDEALPRO); everything else at the last trade.
      const price = inst.cls === 'fx' ? touch.mid : touch.last;
      return {
        price,
        fx: this.fxRate(inst.contract.currency, t),
        margin: inst.margin,
        ...(inst.option ? { underlyingPrice: this.market.fair(inst.option.underlying, t) } : {}),
      };
    };
  }

  /** The account valued now; computed once per (instant, ledger version), since preview, place and the loss check each ask. */
  private valuation(): AccountValuation {
    const now = this.clock.now();
    const c = this.valuationCache;
    if (c && c.at === now && c.version === this.ledgerVersion) return c.value;
    const value = this.ledger.valuation(this.markOf(now));
    this.valuationCache = { at: now, version: this.ledgerVersion, value };
    return value;
  }

  private ledgerChanged(): void {
    this.ledgerVersion += 1;
    this.valuationCache = null;
    this.dayFills = null;
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
    const fresh: DayFills = { since, accountId, byConId, folds: new Map() };
    this.dayFills = fresh;
    return fresh;
  }

  async getAccountSummary(accountId: string): Promise<AccountSummary> {
    this.requireStore();
    this.requireAccount(accountId);
    const v = this.valuation();
    return {
      accountId,
      currency: 'USD',
      netLiquidation: toCents(v.netLiquidation),
      totalCash: toCents(v.cash),
      buyingPower: toCents(v.buyingPower),
      availableFunds: toCents(v.availableFunds),
      excessLiquidity: toCents(v.excessLiquidity),
      equityWithLoanValue: toCents(v.equityWithLoan),
      grossPositionValue: toCents(v.grossPositionValue),
      initMarginReq: toCents(v.initMargin),
      maintMarginReq: toCents(v.maintMargin),
      unrealizedPnl: toCents(v.unrealized),
      realizedPnl: toCents(v.realized),
      timestamp: new Date(this.clock.now()).toISOString(),
    };
  }

  async getPositions(accountId: string): Promise<Position[]> {
    this.requireStore();
    this.requireAccount(accountId);
    return this.valuation().positions.map((pv) => ({
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
  }

  async getPnl(accountId: string): Promise<AccountPnL> {
    const store = this.requireStore();
    this.requireAccount(accountId);
    const now = this.clock.now();
    const v = this.valuation();
    // The day starts at New York midnight; its P&L is measured from the previous close for what was held overnight.
    const dayStart = new Date(etToUtc(toEt(now).day, 0)).toISOString();
    const today = this.fillsSince(store, dayStart, accountId);
    const marks = this.markOf(now);
    const rows = new Map<number, LedgerPosition>();
    for (const p of this.ledger.openPositions()) rows.set(p.conId, p);
    for (const conId of today.byConId.keys()) {
      const p = this.ledger.position(conId);
      if (p) rows.set(p.conId, p);
    }
    let dailyTotal = new Decimal(0);
    const bySymbol = [...rows.values()].map((p) => {
      const pv = v.positions.find((x) => x.position.conId === p.conId);
      const inst = this.instruments.forContract(p.contract);
      const mark = marks(p);
      const mult = new Decimal(p.contract.multiplier ?? 1);
      let daily: Decimal | null = null;
      if (inst && mark) {
        const { signedSum, flows } = dayFlows(today, p.conId, mult, mark.fx);
        // Quantities are whole numbers, so subtracting their sum is exactly subtracting them one by one.
        const startQty = p.quantity.minus(signedSum);
        const prevClose = this.market.previousClose(inst, now) ?? mark.price;
        const fx = new Decimal(mark.fx);
        const endValue = p.quantity.times(mark.price).times(mult).times(fx);
        const startValue = startQty.times(prevClose).times(mult).times(fx);
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
    return {
      accountId,
      currency: 'USD',
      dailyPnl: toCents(dailyTotal),
      unrealizedPnl: toCents(v.unrealized),
      realizedPnl: toCents(v.realized),
      bySymbol,
      timestamp: new Date(now).toISOString(),
    };
  }

  // ---------------------------------------------------------------------------
  // What-if and buying power
  // ---------------------------------------------------------------------------

  /** The price an estimate uses: the limit (or stop), else the side of the book a market order takes. */
  private referencePrice(inst: Instrument, spec: OrderSpec, t: number): number {
    if (spec.limitPrice !== undefined) return spec.limitPrice;
    if (spec.stopPrice !== undefined) return spec.stopPrice;
    const touch = this.market.touch(inst, t);
    if (inst.cls === 'index') return touch.last;
    return spec.action === 'BUY' ? touch.ask : touch.bid;
  }

  /** The account before and after the whole order fills at `price`, with its commission. */
  private project(inst: Instrument, spec: OrderSpec, price: number, t: number): { before: AccountValuation; after: AccountValuation; commission: Decimal } {
    const fx = new Decimal(this.fxRate(inst.contract.currency, t));
    const quantity = new Decimal(spec.quantity);
    const px = new Decimal(price);
    const valueUsd = quantity.times(px).times(inst.contract.multiplier ?? 1).times(fx);
    const commission = orderCommission({ cls: inst.cls, symbol: inst.contract.symbol, quantity, valueUsd, price: px });
    const before = this.valuation();
    const clone = this.ledger.clone();
    clone.applyFill({ contract: inst.contract, cls: inst.cls, side: spec.action, quantity, price: px, fxRate: fx, commission, time: new Date(t).toISOString() });
    return { before, after: clone.valuation(this.markOf(t)), commission };
  }

  async whatIf(contract: Contract, spec: OrderSpec, accountId: string): Promise<WhatIfResult> {
    this.requireStore();
    this.requireAccount(accountId);
    const inst = this.instrument(contract);
    const now = this.clock.now();
    const warnings: string[] = [];
    if (inst.cls === 'index') {
      return { referencePrice: null, estimatedCommission: null, commissionCurrency: 'USD', initMarginChange: null, maintMarginChange: null, equityWithLoanAfter: null, buyingPowerAfter: null, warnings: ['Indices cannot be traded; trade a future, an ETF or options on the index instead'] };
    }
    const price = this.referencePrice(inst, spec, now);
    const { before, after, commission } = this.project(inst, spec, price, now);
    if (!canExecute(inst.schedule, this.options.session, now, spec.outsideRth)) warnings.push('The market is closed for this order now; it would wait for the next session');
    const touch = this.market.touch(inst, now);
    if (spec.orderType === 'LMT' && spec.limitPrice !== undefined && !isMarketable(bookOf(touch, inst), spec.action, spec.limitPrice)) warnings.push('The limit is away from the market: the order would rest');
    const displayed = spec.action === 'BUY' ? touch.askSize : touch.bidSize;
    if (spec.quantity > displayed) warnings.push(`Quantity ${spec.quantity} exceeds the displayed size ${displayed}: expect partial fills or slippage`);
    const rejection = this.buyingPowerProblem(before, after);
    if (rejection) warnings.push(rejection);
    return {
      referencePrice: price,
      estimatedCommission: toCents(commission),
      commissionCurrency: 'USD',
      initMarginChange: toCents(after.initMargin.minus(before.initMargin)),
      maintMarginChange: toCents(after.maintMargin.minus(before.maintMargin)),
      equityWithLoanAfter: toCents(after.equityWithLoan),
      buyingPowerAfter: toCents(after.buyingPower),
      warnings,
    };
  }

  /** IBKR's initial margin check: an order that adds margin must leave available funds >= 0. */
  private buyingPowerProblem(before: AccountValuation, after: AccountValuation): string | null {
    if (after.initMargin.lte(before.initMargin) || after.availableFunds.gte(0)) return null;
    return (
      `Insufficient buying power: this order needs ${fmt(after.initMargin.minus(before.initMargin))} USD more initial margin, ` +
      `leaving available funds at ${fmt(after.availableFunds)} USD (equity with loan ${fmt(after.equityWithLoan)} USD, initial margin ${fmt(after.initMargin)} USD)`
    );
  }

  // ---------------------------------------------------------------------------
  // Orders
  // ---------------------------------------------------------------------------

  async allocateOrderIds(count: number): Promise<string[]> {
    const store = this.requireStore();
    if (!Number.isInteger(count) || count < 1) throw new RangeError('allocateOrderIds: count must be a positive integer');
    return store.allocateOrderIds(count);
  }

  async placeOrder(request: PlaceOrderRequest): Promise<PlaceOrderAck> {
    const store = this.requireStore();
    const now = this.clock.now();
    this.advanceTo(now);
    const { ids, spec } = request;
    if (this.open.has(ids.orderId) || store.order(ids.orderId)) {
      // IBKR error 103: the existing order is left alone.
      return { orderId: ids.orderId, status: 'REJECTED', message: `Duplicate order id ${ids.orderId}`, children: [] };
    }
    const inst = this.instruments.forContract(request.contract);
    const parent = this.newRecord(ids.orderId, null, 'ENTRY', request, request.contract, spec, now);
    const problem = this.validate(request, inst, now);
    if (problem || !inst) {
      return this.rejectNew(parent, problem ?? 'No security definition has been found for the request');
    }
    const { before, after } = this.project(inst, spec, this.referencePrice(inst, spec, now), now);
    const noMoney = this.buyingPowerProblem(before, after);
    if (noMoney) return this.rejectNew(parent, `Order rejected - ${noMoney}`);

    const children: SimOrderRecord[] = [];
    if (spec.takeProfitPrice !== undefined || spec.stopLossPrice !== undefined) {
      const exit = spec.action === 'BUY' ? 'SELL' : 'BUY';
      // Children inherit the parent's DAY/GTC; an IOC/FOK parent leaves GTC exits behind, as a protective bracket should.
      const tif = spec.timeInForce === 'GTC' || spec.timeInForce === 'DAY' ? spec.timeInForce : 'GTC';
      const common = { ...instrumentOnly(spec), action: exit, quantity: spec.quantity, timeInForce: tif, outsideRth: spec.outsideRth } as const;
      const group = `bracket-${ids.orderId}`;
      if (spec.takeProfitPrice !== undefined && ids.takeProfitOrderId) {
        const s: OrderSpec = { ...common, orderType: 'LMT', limitPrice: spec.takeProfitPrice };
        children.push(this.newRecord(ids.takeProfitOrderId, ids.orderId, 'TAKE_PROFIT', request, inst.contract, s, now, group));
      }
      if (spec.stopLossPrice !== undefined && ids.stopLossOrderId) {
        const s: OrderSpec = { ...common, orderType: 'STP', stopPrice: spec.stopLossPrice };
        children.push(this.newRecord(ids.stopLossOrderId, ids.orderId, 'STOP_LOSS', request, inst.contract, s, now, group));
      }
      const [a, b] = children;
      if (a && b) {
        a.siblingId = b.state.orderId;
        b.siblingId = a.state.orderId;
      }
      for (const c of children) {
        c.waitingForParent = true;
        c.cap = 0;
        c.state.status = 'SUBMITTED';
        c.state.message = 'Waiting for the parent order to fill';
      }
    }
    parent.contract = inst.contract;
    parent.trigger = initialTrigger(spec, this.watchPrice(inst, now), inst.contract.minTick);
    this.schedule(parent, inst, now);
    for (const c of children) {
      c.trigger = initialTrigger(c.state.spec, this.watchPrice(inst, now), inst.contract.minTick);
      this.schedule(c, inst, now);
    }
    store.transaction(() => {
      for (const r of [parent, ...children]) {
        store.reserveOrderId(r.state.orderId);
        store.saveOrder(r, true);
      }
    });
    for (const r of [parent, ...children]) {
      this.open.set(r.state.orderId, r);
      this.emit('orderStatus', cloneState(r.state));
    }
    // The arrival: a marketable order trades at once, IOC/FOK are decided now.
    this.evaluate(parent, now, new Map(), true);
    return { orderId: parent.state.orderId, status: parent.state.status, message: parent.state.message, children: children.map((c) => cloneState(c.state)) };
  }

  private newRecord(orderId: string, parentId: string | null, role: BrokerOrderState['role'], request: PlaceOrderRequest, contract: Contract, spec: OrderSpec, now: number, ocaGroup?: string): SimOrderRecord {
    return {
      state: {
        orderId,
        parentOrderId: parentId,
        role,
        accountId: request.accountId,
        orderRef: request.orderRef,
        conId: contract.conId,
        spec,
        status: 'ACCEPTED',
        filledQuantity: 0,
        remainingQuantity: spec.quantity,
        avgFillPrice: null,
        commission: null,
        message: null,
        updatedAt: new Date(now).toISOString(),
      },
      contract,
      placedAt: now,
      expiresAt: null,
      auctionAt: null,
      waitingForParent: false,
      cap: null,
      trigger: { triggered: false, trailStop: null, activeLimit: null },
      resting: false,
      ocaGroup: ocaGroup ?? spec.ocaGroup ?? null,
      siblingId: null,
      parentDone: false,
      fillSeq: 0,
      filledValue: '0',
      commission: '0',
      valueUsd: '0',
    };
  }

  /** Sets when a new order expires (DAY) or executes (MOC, OPG). */
  private schedule(rec: SimOrderRecord, inst: Instrument, now: number): void {
    const spec = rec.state.spec;
    const mode = this.options.session;
    if (spec.orderType === 'MOC') rec.auctionAt = nextClose(inst.schedule, mode, now);
    else if (spec.orderType === 'OPG' || spec.timeInForce === 'OPG') rec.auctionAt = nextOpen(inst.schedule, mode, now);
    else if (spec.timeInForce === 'DAY') rec.expiresAt = dayOrderExpiry(inst.schedule, mode, now, spec.outsideRth);
  }

  /** Why the order cannot be accepted at all, in IBKR's words where IBKR has some; null when it can. */
  private validate(request: PlaceOrderRequest, inst: Instrument | null, now: number): string | null {
    const { spec } = request;
    if (request.accountId !== this.accountId) return `Account ${request.accountId} is not managed by this connection (managed: ${this.accountId})`;
    if (!inst) return `No security definition has been found for the request (conId ${request.contract.conId})`;
    if (inst.cls === 'index') return `${inst.contract.symbol} is an index and cannot be traded; trade a future, an ETF or options on it instead`;
    if (!Number.isInteger(spec.quantity)) return `Quantity ${spec.quantity} is not a whole number of ${inst.cls === 'equity' ? 'shares' : inst.cls === 'fx' ? 'currency units' : 'contracts'}`;
    const tick = inst.contract.minTick;
    for (const [name, value] of [
      ['limitPrice', spec.limitPrice],
      ['stopPrice', spec.stopPrice],
      ['takeProfitPrice', spec.takeProfitPrice],
      ['stopLossPrice', spec.stopLossPrice],
    ] as const) {
      if (value !== undefined && !onTick(value, tick)) return `The ${name} ${value} does not conform to the minimum price variation of ${tick} for this contract`;
    }
    if ((spec.orderType === 'MOC' || spec.orderType === 'OPG' || spec.timeInForce === 'OPG') && inst.cls !== 'equity') {
      return `${spec.orderType === 'MOC' ? 'MOC' : 'Opening auction (OPG)'} orders are only supported for US stocks and ETFs`;
    }
    if (inst.option && inst.option.expiryMs <= now) return `The option ${inst.contract.localSymbol ?? ''} has expired`;
    if (inst.cls === 'future' && inst.contract.expiry && Date.parse(`${inst.contract.expiry}T21:00:00Z`) <= now) return `The futures contract ${inst.contract.localSymbol ?? ''} has expired`;
    if ((spec.takeProfitPrice !== undefined && !request.ids.takeProfitOrderId) || (spec.stopLossPrice !== undefined && !request.ids.stopLossOrderId)) {
      return 'Bracket order without ids for its take-profit/stop-loss children; allocate them with allocateOrderIds first';
    }
    if (spec.orderType === 'MOC' && this.options.session === 'real') {
      const close = closeOfSessionAt(inst.schedule, 'real', now);
      if (close !== null && toEt(now).minute >= MOC_CUTOFF_MINUTES) return 'MOC orders must be submitted by 15:50 ET';
    }
    return null;
  }

  private rejectNew(rec: SimOrderRecord, message: string): PlaceOrderAck {
    const store = this.requireStore();
    rec.state.status = 'REJECTED';
    rec.state.message = message;
    store.reserveOrderId(rec.state.orderId);
    store.saveOrder(rec, false);
    this.emit('orderStatus', cloneState(rec.state));
    return { orderId: rec.state.orderId, status: 'REJECTED', message, children: [] };
  }

  async cancelOrder(orderId: string): Promise<BrokerOrderState> {
    const store = this.requireStore();
    this.advanceTo(this.clock.now());
    const rec = this.open.get(orderId);
    if (!rec) {
      const stored = store.order(orderId);
      if (!stored) throw new OrderNotFoundError(orderId);
      return cloneState(stored.state);
    }
    this.finish(rec, 'CANCELLED', 'Cancelled by request', this.clock.now());
    return cloneState(rec.state);
  }

  async getOpenOrders(): Promise<BrokerOrderState[]> {
    this.requireStore();
    return [...this.open.values()].map((r) => cloneState(r.state));
  }

  async getOrder(orderId: string): Promise<BrokerOrderState | null> {
    const store = this.requireStore();
    const rec = this.open.get(orderId) ?? store.order(orderId);
    return rec ? cloneState(rec.state) : null;
  }

  async getExecutions(query: ExecutionsQuery = {}): Promise<Fill[]> {
    const store = this.requireStore();
    return store.fills(query).map(({ conId: _conId, ...fill }) => fill);
  }

  // ---------------------------------------------------------------------------
  // The tick loop
  // ---------------------------------------------------------------------------

  /** Evaluates working orders at every instant that matters in (lastEval, target], then publishes quotes. */
  advanceTo(target: number): void {
    if (this.state !== 'connected' || this.evaluating || !this.store) return;
    this.evaluating = true;
    try {
      if (target > this.lastEval) {
        if (this.open.size > 0) {
          for (const t of this.checkpoints(this.lastEval, target)) {
            const books = new Map<number, Book>();
            for (const rec of [...this.open.values()]) this.evaluate(rec, t, books, false);
            this.lastEval = t;
            if (this.open.size === 0) break;
          }
          this.store.setMeta('last_eval', String(target));
        }
        this.lastEval = target;
        this.publishQuotes(target);
      }
    } finally {
      this.evaluating = false;
    }
  }

  private checkpoints(from: number, to: number): number[] {
    const set = new Set<number>([to]);
    const step = Math.max(this.tickIntervalMs, Math.ceil((to - from) / MAX_GRID_STEPS));
    for (let t = from + step; t < to; t += step) set.add(t);
    const schedules = new Map<string, Instrument['schedule']>();
    for (const rec of this.open.values()) {
      for (const at of [rec.expiresAt, rec.auctionAt]) if (at !== null && at > from && at <= to) set.add(at);
      const inst = this.instruments.forContract(rec.contract);
      if (inst) schedules.set(`${inst.schedule.kind}:${inst.schedule.rthOpen}:${inst.schedule.rthClose}`, inst.schedule);
    }
    for (const s of schedules.values()) for (const b of boundariesBetween(s, this.options.session, from, to)) set.add(b);
    return [...set].sort((a, b) => a - b);
  }

  private publishQuotes(t: number): void {
    for (const sub of this.quoteSubs.values()) {
      const q = this.market.quote(sub.inst, t);
      const listeners = [...sub.listeners];
      queueMicrotask(() => {
        for (const l of listeners) {
          try {
            l(q);
          } catch {
            // One failing quote listener must not stop the others.
          }
        }
      });
    }
  }

  /** Stops watch the last trade; FX has none, so its stops watch the mid. */
  private watchPrice(inst: Instrument, t: number): number {
    const touch = this.market.touch(inst, t);
    return inst.cls === 'fx' ? touch.mid : touch.last;
  }

  private book(inst: Instrument, t: number, books: Map<number, Book>): Book {
    let b = books.get(inst.contract.conId);
    if (!b) {
      b = bookOf(this.market.touch(inst, t), inst);
      books.set(inst.contract.conId, b);
    }
    return b;
  }

  /** One order at one instant. `arrival` is true only for the evaluation inside placeOrder. */
  private evaluate(rec: SimOrderRecord, t: number, books: Map<number, Book>, arrival: boolean): void {
    if (TERMINAL_STATUSES.has(rec.state.status) || rec.waitingForParent) return;
    const inst = this.instruments.forContract(rec.contract);
    if (!inst) return;
    const spec = rec.state.spec;
    const mode = this.options.session;

    if (rec.auctionAt !== null) {
      if (t < rec.auctionAt) return;
      this.runAuction(rec, inst, t);
      return;
    }
    if (rec.expiresAt !== null && t >= rec.expiresAt) {
      this.finish(rec, 'EXPIRED', 'Day order expired at the end of the session', t);
      return;
    }
    if (inst.option && t >= inst.option.expiryMs) {
      this.finish(rec, 'CANCELLED', 'The option expired', t);
      return;
    }
    const immediate = spec.timeInForce === 'IOC' || spec.timeInForce === 'FOK';
    if (!canExecute(inst.schedule, mode, t, spec.outsideRth)) {
      if (immediate) this.finish(rec, 'CANCELLED', `${spec.timeInForce} order cancelled: the market is closed for it now`, t);
      else if (arrival) this.touchState(rec, 'Waiting for the market to open', t);
      return;
    }
    const book = this.book(inst, t, books);
    let fresh = !rec.resting;
    if (needsTrigger(spec) && !rec.trigger.triggered) {
      const watch = inst.cls === 'fx' ? (book.bid + book.ask) / 2 : book.last;
      const next = updateTrigger(spec, rec.trigger, watch, book.tick);
      const moved = next.trailStop !== rec.trigger.trailStop;
      rec.trigger = next;
      if (!next.triggered) {
        if (immediate) this.finish(rec, 'CANCELLED', `${spec.timeInForce} stop order cancelled: not triggered`, t);
        else if (moved) this.persist(rec, t);
        return;
      }
      fresh = true;
      rec.state.message = `Triggered at ${watch}`;
    }
    const limit = workingLimit(spec, rec.trigger);
    const remaining = this.fillable(rec);
    if (remaining <= 0) return;
    let execs: Execution[];
    if (spec.timeInForce === 'FOK') execs = fillOrKill(book, spec.action, remaining, limit);
    else if (limit === null) execs = sweep(book, spec.action, remaining, null);
    else if (fresh) execs = isMarketable(book, spec.action, limit) ? sweep(book, spec.action, remaining, limit) : [];
    else execs = restingFill(book, spec.action, remaining, limit);
    for (const e of execs) this.execute(rec, inst, e, t);
    if (TERMINAL_STATUSES.has(rec.state.status)) return;
    if (spec.timeInForce === 'FOK' && execs.length === 0) {
      const shown = spec.action === 'BUY' ? book.askSize : book.bidSize;
      this.finish(rec, 'CANCELLED', `FOK order cancelled: ${remaining} could not be filled at once (displayed size ${shown})`, t);
    } else if (spec.timeInForce === 'IOC') {
      this.finish(rec, 'CANCELLED', rec.state.filledQuantity > 0 ? 'IOC order: unfilled remainder cancelled' : 'IOC order cancelled: nothing could be filled immediately', t);
    } else if (limit !== null && !rec.resting) {
      // From now on the order is on the book: it fills at its limit when the market trades through it.
      rec.resting = true;
      this.persist(rec, t);
    }
  }

  /** How much the order may still fill now (bracket children are limited by what their parent filled). */
  private fillable(rec: SimOrderRecord): number {
    const remaining = rec.state.spec.quantity - rec.state.filledQuantity;
    if (rec.cap === null) return remaining;
    return Math.max(0, Math.min(remaining, rec.cap - rec.state.filledQuantity));
  }

  /** MOC and OPG: the whole order at the official close / open print. */
  private runAuction(rec: SimOrderRecord, inst: Instrument, t: number): void {
    const at = rec.auctionAt ?? t;
    const price = roundTick(this.market.fair(inst, at), inst.contract.minTick);
    const spec = rec.state.spec;
    const limit = spec.limitPrice;
    if (limit !== undefined && (spec.action === 'BUY' ? price > limit : price < limit)) {
      this.finish(rec, 'CANCELLED', `Not executed in the ${spec.orderType === 'MOC' ? 'closing' : 'opening'} auction at ${price}: limit ${limit}`, t);
      return;
    }
    this.execute(rec, inst, { quantity: this.fillable(rec), price }, at);
  }

  /** One execution: commission, ledger, persistence, events, then brackets and OCA. */
  private execute(rec: SimOrderRecord, inst: Instrument, exec: Execution, t: number): void {
    const store = this.requireStore();
    if (exec.quantity <= 0) return;
    const spec = rec.state.spec;
    const qty = new Decimal(exec.quantity);
    const price = new Decimal(exec.price);
    const mult = inst.contract.multiplier ?? 1;
    const fx = new Decimal(this.fxRate(inst.contract.currency, t));
    const filledBefore = new Decimal(rec.state.filledQuantity);
    const valueBefore = new Decimal(rec.valueUsd);
    const valueAfter = valueBefore.plus(qty.times(price).times(mult).times(fx));
    const filledValue = new Decimal(rec.filledValue).plus(qty.times(price));
    const filledAfter = filledBefore.plus(qty);
    const commission = fillCommission(
      { cls: inst.cls, symbol: inst.contract.symbol, quantity: filledBefore, valueUsd: valueBefore, price: filledBefore.isZero() ? price : new Decimal(rec.filledValue).dividedBy(filledBefore) },
      { cls: inst.cls, symbol: inst.contract.symbol, quantity: filledAfter, valueUsd: valueAfter, price: filledValue.dividedBy(filledAfter) },
    );
    const time = new Date(t).toISOString();
    const effect = this.ledger.applyFill({ contract: inst.contract, cls: inst.cls, side: spec.action, quantity: qty, price, fxRate: fx, commission, time });
    this.ledgerVersion += 1;
    this.valuationCache = null;
    rec.fillSeq += 1;
    rec.filledValue = filledValue.toString();
    rec.valueUsd = valueAfter.toString();
    rec.commission = new Decimal(rec.commission).plus(commission).toString();
    const filled = filledAfter.toNumber();
    rec.state.filledQuantity = filled;
    rec.state.remainingQuantity = Math.max(0, spec.quantity - filled);
    rec.state.avgFillPrice = filledValue.dividedBy(filledAfter).toDecimalPlaces(6).toNumber();
    rec.state.commission = toCents(rec.commission);
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
      commissionCurrency: 'USD',
      realizedPnl: effect.realizedPnl ? toCents(effect.realizedPnl) : null,
      exchange: venueOf(inst),
    };
    store.transaction(() => {
      store.addFill(fill, inst.contract.conId, rec.state.accountId);
      store.savePosition(effect.position);
      store.saveTotals(this.ledger.totals);
      store.saveOrder(rec, !complete);
    });
    // Committed: today's fills (in the store's order) gain this one.
    const day = this.dayFills;
    if (day && day.accountId === rec.state.accountId && fill.time >= day.since) {
      const conId = inst.contract.conId;
      let list = day.byConId.get(conId);
      if (!list) day.byConId.set(conId, (list = []));
      list.push({ ...fill, conId });
    }
    if (complete) this.open.delete(rec.state.orderId);
    this.emit('fill', { ...fill });
    this.emit('orderStatus', cloneState(rec.state));
    this.afterFill(rec, exec.quantity, t);
  }

  private execPrefix(): string {
    return `0000${(this.options.seed >>> 0).toString(16).padStart(4, '0').slice(-4)}`;
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
          child.state.updatedAt = new Date(t).toISOString();
          this.persist(child, t);
          this.emit('orderStatus', cloneState(child.state));
        } else this.persist(child, t);
      }
      if (rec.ocaGroup) this.cancelOcaSiblings(rec, t);
      return;
    }
    const sibling = rec.siblingId ? this.open.get(rec.siblingId) : undefined;
    if (sibling) {
      // One-cancels-other with reduction: whatever one exit fills, the other no longer needs to cover.
      sibling.cap = (sibling.cap ?? 0) - quantity;
      if (rec.state.status === 'FILLED' || (sibling.parentDone && this.fillable(sibling) <= 0)) {
        this.finish(sibling, 'CANCELLED', `OCA group ${sibling.ocaGroup ?? ''}: order ${rec.state.orderId} filled`, t);
      } else this.persist(sibling, t);
    }
  }

  private cancelOcaSiblings(rec: SimOrderRecord, t: number): void {
    for (const other of [...this.open.values()]) {
      if (other === rec || other.ocaGroup !== rec.ocaGroup || other.state.accountId !== rec.state.accountId || other.state.role !== 'ENTRY') continue;
      this.finish(other, 'CANCELLED', `OCA group ${rec.ocaGroup ?? ''}: order ${rec.state.orderId} filled`, t);
    }
  }

  private childrenOf(parentId: string): SimOrderRecord[] {
    return [...this.open.values()].filter((r) => r.state.parentOrderId === parentId);
  }

  /** Ends an order (cancelled, expired) and settles its bracket. */
  private finish(rec: SimOrderRecord, status: OrderStatus, message: string, t: number): void {
    if (TERMINAL_STATUSES.has(rec.state.status)) return;
    rec.state.status = status;
    rec.state.message = message;
    rec.state.updatedAt = new Date(t).toISOString();
    this.open.delete(rec.state.orderId);
    this.requireStore().saveOrder(rec, false);
    this.emit('orderStatus', cloneState(rec.state));
    if (rec.state.role !== 'ENTRY') return;
    for (const child of this.childrenOf(rec.state.orderId)) {
      if (rec.state.filledQuantity === 0 || status === 'CANCELLED') {
        this.finish(child, 'CANCELLED', `Parent order ${rec.state.orderId} ${status.toLowerCase()}`, t);
      } else {
        // The parent stopped part-way: the exits protect only what it filled.
        child.parentDone = true;
        this.persist(child, t);
      }
    }
  }

  private touchState(rec: SimOrderRecord, message: string, t: number): void {
    if (rec.state.message === message) return;
    rec.state.message = message;
    this.persist(rec, t);
  }

  private persist(rec: SimOrderRecord, t: number): void {
    rec.state.updatedAt = new Date(t).toISOString();
    this.requireStore().saveOrder(rec, !TERMINAL_STATUSES.has(rec.state.status));
  }
}

// -----------------------------------------------------------------------------

interface DayFills {
  since: string;
  accountId: string;
  /** Per instrument, in the store's order; keys in order of first fill. */
  byConId: Map<number, Array<Fill & { conId: number }>>;
  /** Running sums over each instrument's fills, extended as fills arrive (see dayFlows). */
  folds: Map<number, { count: number; mult: string; fx: number; signedSum: Decimal; flows: Decimal }>;
}

/**
 * Today's signed quantity and cash flows (at `fx`) of one instrument, folded in fill order exactly as
 * the loop over the day's fills did; the fold is kept and only new fills are added while mult and fx
 * stay the same (always, for USD instruments), so the daily P&L costs O(new fills), not O(day).
 */
function dayFlows(day: DayFills, conId: number, mult: Decimal, fx: number): { signedSum: Decimal; flows: Decimal } {
  const fills = day.byConId.get(conId) ?? [];
  let fold = day.folds.get(conId);
  const multText = mult.toString();
  if (!fold || fold.mult !== multText || fold.fx !== fx || fold.count > fills.length) {
    fold = { count: 0, mult: multText, fx, signedSum: new Decimal(0), flows: new Decimal(0) };
    day.folds.set(conId, fold);
  }
  const fxDec = new Decimal(fx);
  for (; fold.count < fills.length; fold.count++) {
    const f = fills[fold.count];
    if (!f) break;
    const signed = f.side === 'BUY' ? new Decimal(f.quantity) : new Decimal(f.quantity).neg();
    fold.signedSum = fold.signedSum.plus(signed);
    fold.flows = fold.flows.plus(signed.times(f.price).times(mult).times(fxDec)).plus(f.commission);
  }
  return { signedSum: fold.signedSum, flows: fold.flows };
}

function bookOf(touch: ReturnType<Market['touch']>, inst: Instrument): Book {
  return {
    time: touch.time,
    bid: touch.bid,
    ask: touch.ask,
    bidSize: touch.bidSize,
    askSize: touch.askSize,
    last: touch.last,
    tick: touch.tick,
    // Hidden depth is spaced by half the spread (at least a tick): wider markets slip faster.
    levelStep: Math.max(touch.tick, roundTick((touch.ask - touch.bid) / 2, touch.tick)),
    takenBid: 0,
    takenAsk: 0,
    ...(inst.cls === 'fx' ? { last: (touch.bid + touch.ask) / 2 } : {}),
  };
}

const venueOf = (inst: Instrument): string => {
  if (inst.cls === 'equity') return inst.contract.primaryExchange === 'NASDAQ' ? 'ISLAND' : (inst.contract.primaryExchange ?? 'SMART');
  if (inst.cls === 'option') return 'CBOE';
  return inst.contract.exchange;
};

const cloneState = (s: BrokerOrderState): BrokerOrderState => ({ ...s, spec: { ...s.spec } });

const round = (v: number, dp: number): number => Number(v.toFixed(dp));

const fmt = (d: Decimal): string => d.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** The instrument fields of an order spec, for building bracket children. */
function instrumentOnly(spec: OrderSpec): Pick<OrderSpec, 'symbol' | 'securityType' | 'exchange' | 'currency' | 'expiry' | 'strike' | 'right' | 'account'> {
  const out: Pick<OrderSpec, 'symbol' | 'securityType' | 'exchange' | 'currency' | 'expiry' | 'strike' | 'right' | 'account'> = { symbol: spec.symbol, securityType: spec.securityType };
  if (spec.exchange !== undefined) out.exchange = spec.exchange;
  if (spec.currency !== undefined) out.currency = spec.currency;
  if (spec.expiry !== undefined) out.expiry = spec.expiry;
  if (spec.strike !== undefined) out.strike = spec.strike;
  if (spec.right !== undefined) out.right = spec.right;
  if (spec.account !== undefined) out.account = spec.account;
  return out;
}
