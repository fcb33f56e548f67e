/**
 * The tws Broker: IB Gateway / TWS through @stoqey/ib, composed of the
 * connection owner and the parts in this folder. Every command waits until the
 * connection is usable (after reconciliation), up to the request timeout, and
 * fails with BROKER_UNAVAILABLE otherwise.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import { MarketDataError } from '../../core/errors.js';
import type { AccountPnL, AccountSummary, Bar, BrokerStatus, Contract, Fill, OptionChain, OptionQuote, OrderSpec, Position, Quote, SymbolSpec } from '../../core/models.js';
import type {
  BarsQuery,
  Broker,
  BrokerEvents,
  BrokerOrderState,
  ConnectionEvent,
  ExecutionsQuery,
  OptionChainRequest,
  ModifyOrderAck,
  ModifyOrderRequest,
  OpenOrdersQuery,
  PlaceOrderAck,
  PlaceOrderRequest,
  Unsubscribe,
  WhatIfResult,
} from '../../core/broker/port.js';
import { BrokerEventHub } from '../../core/broker/event-hub.js';
import { Account } from './account.js';
import { BarCache } from './bar-cache.js';
import { Connection, silentLog, type Log } from './connection.js';
import type { TwsContext } from './context.js';
import { Contracts } from './contracts.js';
import { Historical } from './historical.js';
import { MarketData } from './market-data.js';
import { OrderStore } from './order-store.js';
import { Orders } from './orders.js';
import { findLostOrder, reconcile } from './reconcile.js';
import { WarmQuotes } from './warm-quotes.js';

/** A warm quote stream is given up after this long without a quote asked for its instrument. */
const WARM_QUOTE_IDLE_MS = 60_000;

export interface TwsBrokerOptions {
  host: string;
  port: number;
  clientId: number;
  dataDir: string;
  clock?: Clock;
  logger?: Log;
  /** Per request; also how long a command waits for a reconnect. Default 10 s. */
  requestTimeoutMs?: number;
  /** Handshake timeout. Default 5 s. */
  connectTimeoutMs?: number;
  reconnect?: { initialDelayMs: number; maxDelayMs: number };
  /** Silence before the watchdog probes, and how long the probe may take. Default 30 s / 10 s. */
  watchdog?: { idleMs: number; probeTimeoutMs: number };
  /** Streaming market data lines; default 100 (an IBKR account's base allowance). */
  maxMarketDataLines?: number;
  /** Outgoing message rate; default 45/s (IBKR's limit is 50). */
  messagesPerSecond?: number;
}


export class TwsBroker implements Broker {
  readonly kind = 'tws' as const;
  readonly conn: Connection;
  private readonly ctx: TwsContext;
  private readonly contracts: Contracts;
  private readonly market: MarketData;
  private readonly warm: WarmQuotes;
  private readonly historical: Historical;
  private readonly account: Account;
  private readonly orders: Orders;
  private readonly store: OrderStore;
  private readonly cache: BarCache;
  private readonly events: BrokerEventHub;
  private readonly timeoutMs: number;
  private lastReconcile: { open: number; fills: number; at: string } | null = null;

  constructor(private readonly options: TwsBrokerOptions) {
    const clock = options.clock ?? systemClock;
    const log = options.logger ?? silentLog;
    this.events = new BrokerEventHub((err, event) => log.warn({ err, event }, 'broker listener failed'));
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.conn = new Connection({
      host: options.host,
      port: options.port,
      clientId: options.clientId,
      clock,
      log,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      reconnect: options.reconnect ?? { initialDelayMs: 1000, maxDelayMs: 30_000 },
      watchdog: options.watchdog ?? { idleMs: 30_000, probeTimeoutMs: 10_000 },
      messagesPerSecond: options.messagesPerSecond ?? 45,
      onSessionStart: async () => {
        this.warm.sessionStarted();
        // Account subscriptions end with the socket: renew them first, so their download overlaps reconciliation.
        await this.account.feed.start().catch((err: unknown) => log.warn({ err }, 'account subscriptions not renewed'));
        const r = await reconcile(this.orders, this.market);
        this.lastReconcile = { ...r, at: this.ctx.nowIso() };
      },
      onDataLost: () => void this.market.resubscribeAll().catch((err: unknown) => log.warn({ err }, 'resubscribe after 1101 failed')),
      onEvent: (e: ConnectionEvent) => this.raise('connection', e),
    });
    this.ctx = {
      conn: this.conn,
      clock,
      log,
      requestTimeoutMs: this.timeoutMs,
      emit: (event, ...args) => this.raise(event, ...args),
      nowIso: () => new Date(this.conn.serverTime()).toISOString(),
    };
    this.store = new OrderStore(options.dataDir, (err) => log.error({ err }, 'tws-orders.db: order states or fills heard from TWS could not be written; reconciliation at the next session start settles them from IBKR'));
    this.cache = new BarCache(options.dataDir);
    this.contracts = new Contracts(this.ctx);
    const lines = options.maxMarketDataLines ?? 100;
    this.market = new MarketData(this.ctx, lines);
    this.warm = new WarmQuotes(this.market, { idleMs: WARM_QUOTE_IDLE_MS, maxWarm: Math.floor(lines / 4) });
    this.market.makeRoom = () => this.warm.evictOne();
    this.historical = new Historical(this.ctx, this.cache);
    this.account = new Account(this.ctx, this.contracts);
    this.orders = new Orders(this.ctx, this.store, this.contracts, () => {
      void findLostOrder(this.orders).catch((err: unknown) => log.warn({ err }, 'looking for an unacknowledged order failed'));
    });
  }

  /**
   * Listeners run once the messages that caused them are handled, in the
   * order they were raised (one FIFO queue, drained on the next turn of the
   * event loop). A listener may write to disk (the core's audit log does, per
   * status and per fill): an order's acknowledgement must not wait behind the
   * writes for the status and execution messages that came in the same TCP read.
   * Listeners are looked up when delivered, so one removed meanwhile is not called.
   */
  private readonly outbox: (() => void)[] = [];

  private raise<E extends keyof BrokerEvents>(event: E, ...args: Parameters<BrokerEvents[E]>): void {
    this.outbox.push(() => this.events.emit(event, ...args));
    if (this.outbox.length === 1) setImmediate(() => this.drainOutbox());
  }

  private drainOutbox(): void {
    for (const delivery of this.outbox.splice(0)) delivery();
  }

  on<E extends keyof BrokerEvents>(event: E, listener: BrokerEvents[E]): Unsubscribe {
    return this.events.on(event, listener);
  }

  private ready(): Promise<void> {
    return this.conn.whenUsable(this.timeoutMs);
  }

  connect(): Promise<void> {
    return this.conn.connect();
  }

  private closed = false;

  async close(): Promise<void> {
    this.warm.close();
    await this.conn.close();
    // What was raised up to now (the close's own 'disconnected' among it) reaches the listeners still attached.
    this.drainOutbox();
    if (this.closed) return;
    this.closed = true;
    this.store.close();
    this.cache.close();
  }

  status(): BrokerStatus {
    const c = this.conn;
    return {
      kind: 'tws',
      state: c.state,
      connected: c.usable,
      serverTime: c.usable ? new Date(c.serverTime()).toISOString() : null,
      accounts: c.usable ? [...c.accounts] : [],
      marketDataType: this.market.marketDataType(),
      lastError: c.lastError,
      detail: {
        host: this.options.host,
        port: this.options.port,
        clientId: this.options.clientId,
        reconnects: c.reconnects,
        pendingRequests: c.registry.size,
        marketDataLines: this.market.lines(),
        historicalRequests: this.historical.stats.requests,
        historicalFetches: this.historical.stats.fetches,
        historicalFromCache: this.historical.stats.servedFromCache,
        historicalWindowCount: this.historical.pacer.recent(),
        lastReconcileAt: this.lastReconcile?.at ?? null,
        lastReconcileOpenOrders: this.lastReconcile?.open ?? null,
        lastReconcileFills: this.lastReconcile?.fills ?? null,
      },
    };
  }

  accounts(): string[] {
    return this.conn.usable ? [...this.conn.accounts] : [];
  }

  /** Counters of the historical path (tests and /health). */
  historicalStats(): { requests: number; fetches: number; servedFromCache: number } {
    return { ...this.historical.stats };
  }

  async resolveContracts(spec: SymbolSpec): Promise<Contract[]> {
    await this.ready();
    return this.contracts.resolve(spec);
  }

  async getOptionChain(underlying: Contract, request: OptionChainRequest): Promise<OptionChain> {
    await this.ready();
    const params = await this.contracts.optionParams(underlying);
    const row = params.find((p) => p.exchange === 'SMART') ?? params[0];
    const spot = await this.market.snapshot(underlying).then((s) => s.quote.last ?? s.quote.close ?? (s.quote.bid !== null && s.quote.ask !== null ? (s.quote.bid + s.quote.ask) / 2 : null)).catch(() => null);
    const timestamp = this.ctx.nowIso();
    if (!row) {
      return { underlying: underlying.symbol, underlyingConId: underlying.conId, underlyingPrice: spot, exchange: 'SMART', multiplier: 100, expirations: [], strikes: [], options: [], timestamp };
    }
    const expirations = [...new Set(row.expirations)].sort();
    const strikes = [...new Set(row.strikes)].sort((a, b) => a - b);
    const expiry = request.expiry ?? expirations.find((e) => e >= timestamp.slice(0, 10)) ?? expirations[0];
    const options: OptionQuote[] = [];
    if (expiry && expirations.includes(expiry) && spot !== null) {
      const nearest = strikes.reduce((best, k, i) => (Math.abs(k - spot) < Math.abs((strikes[best] ?? Infinity) - spot) ? i : best), 0);
      const n = Math.max(1, request.strikesAroundSpot);
      const slice = new Set(strikes.slice(Math.max(0, nearest - n), nearest + n + 1));
      const listed = (await this.contracts.optionsOf(underlying, expiry, row.tradingClass, row.exchange)).filter((c) => c.strike !== undefined && slice.has(c.strike));
      for (const c of listed.sort((a, b) => (a.strike ?? 0) - (b.strike ?? 0) || (a.right ?? '').localeCompare(b.right ?? ''))) {
        const snap = await this.market.snapshot(c, true).catch(() => null);
        options.push({
          conId: c.conId, expiry, strike: c.strike ?? 0, right: c.right ?? 'C',
          bid: snap?.quote.bid ?? null, ask: snap?.quote.ask ?? null, last: snap?.quote.last ?? null,
          impliedVolatility: snap?.greeks?.impliedVolatility ?? null, delta: snap?.greeks?.delta ?? null, gamma: snap?.greeks?.gamma ?? null,
          theta: snap?.greeks?.theta ?? null, vega: snap?.greeks?.vega ?? null,
        });
      }
    }
    return { underlying: underlying.symbol, underlyingConId: underlying.conId, underlyingPrice: spot, exchange: row.exchange, multiplier: row.multiplier, expirations, strikes, options, timestamp };
  }

  /** From a warm stream when the instrument has one (warm-quotes.ts), else a snapshot. */
  async getQuote(contract: Contract): Promise<Quote> {
    await this.ready();
    const streamed = this.warm.current(contract.conId);
    if (streamed) return streamed;
    const { quote } = await this.market.snapshot(contract);
    this.warm.noteSnapshot(contract);
    return quote;
  }

  subscribeQuotes(contract: Contract, listener: (quote: Quote) => void): Unsubscribe {
    if (!this.conn.usable && this.conn.state === 'disconnected') throw new MarketDataError('IB Gateway/TWS is not connected', 'MARKET_DATA_UNAVAILABLE');
    return this.market.subscribe(contract, listener);
  }

  async getHistoricalBars(contract: Contract, query: BarsQuery): Promise<Bar[]> {
    await this.ready();
    return this.historical.bars(contract, query);
  }

  async getAccountSummary(accountId: string): Promise<AccountSummary> {
    await this.ready();
    return this.account.summary(accountId);
  }

  async getPositions(accountId: string): Promise<Position[]> {
    await this.ready();
    return this.account.positions(accountId);
  }

  async getPnl(accountId: string): Promise<AccountPnL> {
    await this.ready();
    return this.account.pnlReport(accountId);
  }

  async whatIf(contract: Contract, spec: OrderSpec, accountId: string): Promise<WhatIfResult> {
    await this.ready();
    return this.orders.whatIf(contract, spec, accountId);
  }

  async allocateOrderIds(count: number): Promise<string[]> {
    await this.ready();
    return this.orders.allocate(count);
  }

  async orderIdFloor(): Promise<number> {
    await this.ready();
    return this.orders.idFloor();
  }

  placeOrder(request: PlaceOrderRequest): Promise<PlaceOrderAck> {
    // No waiting for a reconnect here: an order is placed on the connection the caller saw, or refused at once.
    return this.orders.place(request);
  }

  modifyOrder(request: ModifyOrderRequest): Promise<ModifyOrderAck> {
    // Like placeOrder: sent on the connection the caller saw, or refused at once.
    return this.orders.modify(request);
  }

  async cancelOrder(orderId: string): Promise<BrokerOrderState> {
    await this.ready();
    return this.orders.cancel(orderId);
  }

  async globalCancel(): Promise<void> {
    await this.ready();
    return this.orders.globalCancel();
  }

  async getOpenOrders(options?: OpenOrdersQuery): Promise<BrokerOrderState[]> {
    await this.ready();
    return this.orders.openOrders(options);
  }

  async getOrder(orderId: string): Promise<BrokerOrderState | null> {
    return this.orders.get(orderId);
  }

  async getExecutions(query?: ExecutionsQuery): Promise<Fill[]> {
    await this.ready();
    return this.orders.listExecutions(query);
  }
}
