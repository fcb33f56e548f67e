/**
 * The embedded simulated broker: the Broker the core talks to, and its
 * connection (session). Connecting takes the account lock, opens the store,
 * loads the account, repairs what a crash left half-done (recovery.ts), loads
 * the working orders, and replays the time the gateway was down; closing saves where the matching loop stopped and releases all.
 *
 * The work is done by parts that share one SimState (state.ts):
 * market-data.ts (quotes, bars, option chains, FX), valuation.ts (account,
 * positions, P&L), margin.ts (what-if, buying power), order-book.ts
 * (admission, cancel, queries), matching-loop.ts (the clock-driven evaluation)
 * and settlement.ts (what a fill or an ending order implies).
 */
import { lockSimAccount } from './account-lock.js';
import { BrokerConnectionError, GatewayError } from '../../core/errors.js';
import type { AccountPnL, AccountSummary, Bar, BrokerStatus, Contract, Fill, OptionChain, OrderSpec, Position, Quote, SymbolSpec } from '../../core/models.js';
import type {
  AccountExecution,
  BarsQuery,
  Broker,
  BrokerEvents,
  BrokerOrderState,
  ExecutionsQuery,
  ModifyOrderAck,
  ModifyOrderRequest,
  OptionChainRequest,
  PlaceOrderAck,
  PlaceOrderRequest,
  Unsubscribe,
  WhatIfResult,
} from '../../core/broker/port.js';
import { MarginCheck } from './margin.js';
import { SimMarketData } from './market-data.js';
import { MatchingLoop } from './matching-loop.js';
import { OrderAmender } from './order-amend.js';
import { OrderBook } from './order-book.js';
import { Settlement } from './settlement.js';
import { repairHalfDoneOrders } from './recovery.js';
import { Expiries } from './expiry.js';
import { VariationMargin } from './variation-margin.js';
import { Liquidator } from './liquidation.js';
import { Financing } from './financing.js';
import { cloneState, SimState, type SimBrokerOptions } from './state.js';
import { SimStore, type SimOrderRecord } from './store.js';
import { loadDepletion } from './own-impact.js';
import { AccountValuer } from './valuation.js';
import { storedAccountExecutions } from './account-fills.js';
import { isoTime } from './iso-time.js';

export type { SimBrokerOptions } from './state.js';

export class SimBroker implements Broker {
  readonly kind = 'sim' as const;
  private readonly sim: SimState;
  private readonly prices: SimMarketData;
  private readonly account: AccountValuer;
  private readonly margin: MarginCheck;
  private readonly loop: MatchingLoop;
  private readonly expiries: Expiries;
  private readonly variation: VariationMargin;
  private readonly liquidator: Liquidator;
  private readonly financing: Financing;
  private readonly orders: OrderBook;
  private readonly amender: OrderAmender;
  private timer: ReturnType<typeof setInterval> | null = null;
  private stopClock: (() => void) | null = null;
  private lastError: string | null = null;
  /** Releases sim.lock; set while connected. */
  private unlock: (() => void) | null = null;

  constructor(private readonly options: SimBrokerOptions) {
    this.sim = new SimState(options);
    this.prices = new SimMarketData(this.sim);
    this.account = new AccountValuer(this.sim, this.prices);
    this.margin = new MarginCheck(this.sim, this.prices, this.account);
    const settlement = new Settlement(this.sim, this.prices, this.account);
    this.loop = new MatchingLoop(this.sim, this.prices, settlement);
    this.expiries = new Expiries(this.sim, this.prices, this.account);
    this.variation = new VariationMargin(this.sim, this.account);
    this.liquidator = new Liquidator(this.sim, this.prices, this.account);
    this.financing = new Financing(this.sim, this.account);
    this.orders = new OrderBook(this.sim, this.prices, this.margin, this.loop, settlement);
    this.amender = new OrderAmender(this.sim, this.prices, this.margin, this.loop);
  }

  // ---------------------------------------------------------------------------
  // Connection
  // ---------------------------------------------------------------------------

  async connect(): Promise<void> {
    const sim = this.sim;
    if (sim.connection === 'connected') return;
    sim.connection = 'connecting';
    let repaired: SimOrderRecord[] = [];
    try {
      this.unlock = lockSimAccount(this.options.dataDir);
      const store = new SimStore(this.options.dataDir);
      sim.store = store;
      this.account.load(store.loadAccount(this.options.startingCash, this.options.baseCurrency));
      store.prepareOrderIds();
      const now = sim.clock.now();
      // What a crash (under an older version) left half-done is put right from the stored fills first.
      repaired = repairHalfDoneOrders(store, now);
      sim.open.clear();
      // Time priority is arrival order, and a modification that loses priority re-arrives (order-amend.ts).
      for (const rec of store.openOrders().sort((a, b) => a.placedAt - b.placedAt)) sim.open.set(rec.state.orderId, rec);
      // The book is still refilling from what orders took before the restart.
      loadDepletion(store, sim.depletion);
      const saved = Number(store.meta('last_eval') ?? NaN);
      // While the gateway was down the simulated exchange kept going: replay the gap so working orders fill or expire.
      this.loop.lastEval = Number.isFinite(saved) && saved <= now ? saved : now;
      store.onRollback(() => this.reloadFromStore());
    } catch (err) {
      sim.connection = 'disconnected';
      sim.store?.close();
      sim.store = null;
      this.unlock?.();
      this.unlock = null;
      this.lastError = err instanceof Error ? err.message : String(err);
      // A setting that contradicts the stored account is the operator's to fix, not a connection fault to retry.
      if (err instanceof GatewayError && err.code === 'CONFIG_INVALID') throw err;
      throw new BrokerConnectionError(`Simulated broker could not open its account in ${this.options.dataDir}: ${this.lastError}`);
    }
    sim.connection = 'connected';
    this.stopClock = sim.clock.onAdvance((t) => this.advanceTo(t));
    this.timer = setInterval(() => this.advanceTo(sim.clock.now()), sim.tickIntervalMs);
    // The tick loop must never keep a process (a CLI command, a test run) alive.
    this.timer.unref();
    for (const rec of repaired) sim.emit('orderStatus', cloneState(rec.state));
    this.advanceTo(sim.clock.now());
    sim.emit('connection', { state: 'connected', message: 'Simulated broker ready' });
  }

  /**
   * Memory as the file has it, after sim.db rolled back writes whose changes memory had already made (a new
   * orders' transaction whose commit failed, or a placement that threw): the account, its working orders, the
   * book's depletion, and the matching loop's last instant (an instant rolled back is evaluated again).
   */
  private reloadFromStore(): void {
    const sim = this.sim;
    const store = sim.store;
    if (!store) return;
    try {
      this.account.load(store.loadAccount(this.options.startingCash, this.options.baseCurrency));
      sim.open.clear();
      for (const rec of store.openOrders().sort((a, b) => a.placedAt - b.placedAt)) sim.open.set(rec.state.orderId, rec);
      loadDepletion(store, sim.depletion);
      const saved = Number(store.meta('last_eval') ?? NaN);
      if (Number.isFinite(saved) && saved < this.loop.lastEval) this.loop.lastEval = saved;
    } catch (err) {
      // Memory cannot be made to agree with the file: the connection ends, and a reconnect loads it all afresh.
      this.lastError = err instanceof Error ? err.message : String(err);
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      this.stopClock?.();
      this.stopClock = null;
      try {
        store.close();
      } catch {
        // the file is what failed; the lock goes below either way
      }
      sim.store = null;
      this.unlock?.();
      this.unlock = null;
      sim.open.clear();
      this.account.ledgerChanged();
      sim.connection = 'disconnected';
      sim.emit('connection', { state: 'disconnected', message: `Simulated broker lost its account in ${this.options.dataDir}: ${this.lastError}` });
    }
  }

  async close(): Promise<void> {
    const sim = this.sim;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopClock?.();
    this.stopClock = null;
    if (sim.store) {
      sim.store.setMeta('last_eval', String(this.loop.lastEval));
      sim.store.close();
    }
    sim.store = null;
    this.unlock?.();
    this.unlock = null;
    sim.open.clear();
    this.prices.clearSubscriptions();
    this.account.ledgerChanged();
    if (sim.connection !== 'disconnected') {
      sim.connection = 'disconnected';
      sim.emit('connection', { state: 'disconnected', message: 'Simulated broker closed' });
    }
  }

  status(): BrokerStatus {
    const connected = this.sim.connection === 'connected';
    return {
      kind: 'sim',
      state: this.sim.connection,
      connected,
      serverTime: connected ? isoTime(this.sim.clock.now()) : null,
      accounts: connected ? [this.sim.accountId] : [],
      marketDataType: 'SIMULATED',
      lastError: this.lastError,
      detail: { seed: this.options.seed, session: this.options.session, dataDir: this.options.dataDir, workingOrders: this.sim.open.size },
    };
  }

  accounts(): string[] {
    return this.sim.connection === 'connected' ? [this.sim.accountId] : [];
  }

  on<E extends keyof BrokerEvents>(event: E, listener: BrokerEvents[E]): Unsubscribe {
    return this.sim.events.on(event, listener);
  }

  /** Evaluates working orders at every instant that matters up to `target`, then publishes quotes. */
  advanceTo(target: number): void {
    this.loop.advanceTo(target);
    // Positions whose instrument expired by now are exercised, assigned, expired or settled (expiry.ts).
    // Then the survivors' futures pay their daily variation margin into cash (variation-margin.ts).
    if (this.sim.connection === 'connected' && this.sim.store) {
      this.expiries.processUpTo(target);
      this.variation.settleUpTo(target);
      // Each New York day that ended: interest on cash and borrow fees on shorts (financing.ts).
      if (this.sim.options.financing !== false) this.financing.accrueUpTo(target);
      // An account below maintenance is liquidated at once, largest contributor first (liquidation.ts).
      this.liquidator.cure(target);
    }
  }

  // ---------------------------------------------------------------------------
  // The Broker, delegated to the part that owns each concern
  // ---------------------------------------------------------------------------

  /** sim.db commits so far (a test holds the order path to one per order; the bench reports it). */
  get storeCommits(): number {
    return this.sim.store?.commits ?? 0;
  }

  resolveContracts(spec: SymbolSpec): Promise<Contract[]> {
    return this.prices.resolveContracts(spec);
  }

  getOptionChain(underlying: Contract, request: OptionChainRequest): Promise<OptionChain> {
    return this.prices.getOptionChain(underlying, request);
  }

  getQuote(contract: Contract): Promise<Quote> {
    return this.prices.getQuote(contract);
  }

  quoteNow(contract: Contract): Quote {
    return this.prices.quoteNow(contract);
  }

  subscribeQuotes(contract: Contract, listener: (quote: Quote) => void): Unsubscribe {
    return this.prices.subscribeQuotes(contract, listener);
  }

  getHistoricalBars(contract: Contract, query: BarsQuery): Promise<Bar[]> {
    return this.prices.getHistoricalBars(contract, query);
  }

  getAccountSummary(accountId: string): Promise<AccountSummary> {
    return this.account.getAccountSummary(accountId);
  }

  getPositions(accountId: string): Promise<Position[]> {
    return this.account.getPositions(accountId);
  }

  getPnl(accountId: string): Promise<AccountPnL> {
    return this.account.getPnl(accountId);
  }

  whatIf(contract: Contract, spec: OrderSpec, accountId: string): Promise<WhatIfResult> {
    return this.margin.whatIf(contract, spec, accountId);
  }

  allocateOrderIds(count: number): Promise<string[]> {
    return this.orders.allocateOrderIds(count);
  }

  orderIdFloor(): Promise<number> {
    return this.orders.orderIdFloor();
  }

  placeOrder(request: PlaceOrderRequest): Promise<PlaceOrderAck> {
    return this.orders.placeOrder(request);
  }

  modifyOrder(request: ModifyOrderRequest): Promise<ModifyOrderAck> {
    return this.amender.modifyOrder(request);
  }

  cancelOrder(orderId: string): Promise<BrokerOrderState> {
    return this.orders.cancelOrder(orderId);
  }

  getOpenOrders(): Promise<BrokerOrderState[]> {
    return this.orders.getOpenOrders();
  }

  getOrder(orderId: string): Promise<BrokerOrderState | null> {
    return this.orders.getOrder(orderId);
  }

  getExecutions(query: ExecutionsQuery = {}): Promise<Fill[]> {
    return this.orders.getExecutions(query);
  }

  async getAccountExecutions(): Promise<AccountExecution[]> {
    this.sim.requireStore();
    return storedAccountExecutions(this.sim, this.account);
  }
}
