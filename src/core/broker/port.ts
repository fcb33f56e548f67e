/**
 * The Broker interface: the one seam between the core and a backend.
 *
 * The simulator (`brokers/sim`) and the TWS adapter (`brokers/tws`) both
 * implement it; the core never sees either's own types. Everything crossing the
 * seam is a shape from core/models.ts or one of the small types below.
 *
 * Order ids are chosen before an order is transmitted, as IBKR's client-chosen
 * order ids are: the core writes its audit row with the id first, and only
 * then calls `placeOrder`. The core takes them from the store-wide sequence
 * (core/orders/order-ids.ts), never below the broker's `orderIdFloor()`, so
 * several gateways on one store never collide; the broker uses the ids it is
 * given and moves its own counter past them. `allocateOrderIds` is the
 * broker's own counter, for a caller without a store (the TWS emulator, tests).
 */
import type {
  AccountPnL,
  AccountSummary,
  Bar,
  BarSize,
  BrokerKind,
  BrokerStatus,
  Contract,
  Duration,
  Fill,
  OptionChain,
  OrderSpec,
  OrderStatus,
  Position,
  Quote,
  SymbolSpec,
  WhatToShow,
} from '../models.js';

export type Unsubscribe = () => void;

export interface BarsQuery {
  barSize: BarSize;
  duration: Duration;
  whatToShow: WhatToShow;
  useRth: boolean;
  /** End of the window (UTC ISO); default now. */
  endTime?: string;
  /** Aborted when the caller no longer wants the bars (a REST client disconnected): a broker may stop early. */
  signal?: AbortSignal;
}

/** An IBKR-style what-if answer: estimates only, nothing is placed. */
export interface WhatIfResult {
  /** Price the estimate used: limit price, or the touch for market orders. */
  referencePrice: number | null;
  estimatedCommission: number | null;
  commissionCurrency: string;
  initMarginChange: number | null;
  maintMarginChange: number | null;
  equityWithLoanAfter: number | null;
  buyingPowerAfter: number | null;
  warnings: string[];
}

/** Ids the broker allocated for one order submission (parent plus bracket children). */
export interface OrderIds {
  orderId: string;
  takeProfitOrderId?: string;
  stopLossOrderId?: string;
}

export interface PlaceOrderRequest {
  ids: OrderIds;
  contract: Contract;
  spec: OrderSpec;
  accountId: string;
  /** Carried to IBKR as orderRef, so an order can be found again after a lost acknowledgement. */
  orderRef: string;
}

/**
 * A modification of a working order, IBKR's way: the same order id sent again
 * with its new version. Only prices, quantity, time in force and outsideRth
 * may differ from the order as placed; the core checks that before asking.
 */
export interface ModifyOrderRequest {
  orderId: string;
  contract: Contract;
  /** The whole new version of the order. */
  spec: OrderSpec;
  accountId: string;
  orderRef: string;
}

/** The broker's answer to a modification. */
export interface ModifyOrderAck {
  orderId: string;
  /** True when the broker now works the new version. */
  accepted: boolean;
  /** Why it was refused, in the broker's words (IBKR error 104, 105, 10147...), or a note. */
  message: string | null;
  /** The order as the broker has it after the request: the new version when accepted, else as it stands (perhaps filled). */
  state: BrokerOrderState;
}

/** The broker's view of one order at one moment. */
export interface BrokerOrderState {
  orderId: string;
  parentOrderId: string | null;
  role: 'ENTRY' | 'TAKE_PROFIT' | 'STOP_LOSS';
  accountId: string;
  orderRef: string | null;
  conId: number;
  spec: OrderSpec;
  status: OrderStatus;
  filledQuantity: number;
  remainingQuantity: number;
  avgFillPrice: number | null;
  commission: number | null;
  message: string | null;
  updatedAt: string;
}

export interface PlaceOrderAck {
  orderId: string;
  status: OrderStatus;
  message: string | null;
  /** Bracket children as the broker registered them. */
  children: BrokerOrderState[];
}

/**
 * How recent a listing of working orders must be. A backend whose list costs a
 * round trip (tws: reqAllOpenOrders) may answer from a listing asked for at
 * most `maxAgeMs` ago, with its own orders as they are now; without it, it
 * asks. A backend that knows its orders in memory (sim) ignores it.
 */
export interface OpenOrdersQuery {
  maxAgeMs?: number;
}

export interface ExecutionsQuery {
  /** Only executions at or after this UTC ISO time. */
  since?: string;
  accountId?: string;
}

export type ConnectionEvent = { state: BrokerStatus['state']; message: string | null; code?: number };

/** Why the broker executed something in the account without an order. */
export type AccountExecutionReason = 'EXERCISE' | 'ASSIGNMENT' | 'EXPIRED' | 'FINAL-SETTLEMENT' | 'LIQUIDATION';

/**
 * An execution the broker made on its own: an option exercised, assigned or
 * expired, a future's final settlement, a margin liquidation. IBKR reports
 * these as executions of no API order (order id 0); the fill (also sent on
 * the `fill` event, with orderId "0") comes with the contract and account it
 * moved, which the fill alone does not carry.
 */
export interface AccountExecution {
  fill: Fill;
  contract: Contract;
  accountId: string;
  reason: AccountExecutionReason;
}

/** Everything a broker tells the core without being asked. */
export interface BrokerEvents {
  orderStatus: (state: BrokerOrderState) => void;
  fill: (fill: Fill) => void;
  /** An execution without an order (see AccountExecution); its fill was sent on `fill` just before. */
  accountExecution: (event: AccountExecution) => void;
  connection: (event: ConnectionEvent) => void;
}

export interface OptionChainRequest {
  /** Only this expiry (YYYY-MM-DD); default the nearest. */
  expiry?: string;
  /** How many strikes each side of spot to price. */
  strikesAroundSpot: number;
}

export interface Broker {
  readonly kind: BrokerKind;

  connect(): Promise<void>;
  close(): Promise<void>;
  status(): BrokerStatus;
  /** Managed accounts, first one is the default. Available after connect(). */
  accounts(): string[];

  /** Every contract matching the spec; [] when none. The core decides what is ambiguous. */
  resolveContracts(spec: SymbolSpec): Promise<Contract[]>;
  /** Expirations and strikes of the underlying's options, with the requested slice priced (greeks included). */
  getOptionChain(underlying: Contract, request: OptionChainRequest): Promise<OptionChain>;

  getQuote(contract: Contract): Promise<Quote>;
  /**
   * getQuote() without waiting, for a broker that has the quote at hand (the simulator computes it);
   * throws what getQuote() would reject with. Absent on a broker that must ask for it (tws).
   */
  quoteNow?(contract: Contract): Quote;
  /** Streams quotes for one contract; the core shares one subscription between listeners. */
  subscribeQuotes(contract: Contract, listener: (quote: Quote) => void): Unsubscribe;
  getHistoricalBars(contract: Contract, query: BarsQuery): Promise<Bar[]>;

  getAccountSummary(accountId: string): Promise<AccountSummary>;
  getPositions(accountId: string): Promise<Position[]>;
  getPnl(accountId: string): Promise<AccountPnL>;

  whatIf(contract: Contract, spec: OrderSpec, accountId: string): Promise<WhatIfResult>;
  allocateOrderIds(count: number): Promise<string[]>;
  /**
   * The lowest order id this connection may use now: above every id it has
   * used, and at least IBKR's nextValidId. Taking it reserves nothing.
   */
  orderIdFloor(): Promise<number>;
  placeOrder(request: PlaceOrderRequest): Promise<PlaceOrderAck>;
  /** Amends a working order in place (same id). A finished or unknown order is refused (accepted: false), not thrown. */
  modifyOrder(request: ModifyOrderRequest): Promise<ModifyOrderAck>;
  cancelOrder(orderId: string): Promise<BrokerOrderState>;
  /**
   * The emergency stop at the broker: cancels every open order of the session,
   * including ones this client did not place (IBKR's reqGlobalCancel). Only the
   * kill switch sends it, after its recorded per-order cancels. A backend whose
   * per-order cancels already reach every order (the simulator) leaves it out.
   */
  globalCancel?(): Promise<void>;
  /** Every working order at the broker; `maxAgeMs` lets a backend that must ask for the list answer from one that recent (OpenOrdersQuery). */
  getOpenOrders(query?: OpenOrdersQuery): Promise<BrokerOrderState[]>;
  getOrder(orderId: string): Promise<BrokerOrderState | null>;
  getExecutions(query?: ExecutionsQuery): Promise<Fill[]>;
  /**
   * Executions the broker made without an order (order id 0), with their contracts and reasons, for
   * reconciliation: one the core missed (a crash between the broker booking it and the core recording
   * it) is recorded at the next connect. Optional: a broker that cannot say why an execution happened
   * (tws: IB reports no reason) leaves it out.
   */
  getAccountExecutions?(): Promise<AccountExecution[]>;

  on<E extends keyof BrokerEvents>(event: E, listener: BrokerEvents[E]): Unsubscribe;
}
