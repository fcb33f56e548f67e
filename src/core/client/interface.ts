/**
 * GatewayClient: the seed's direct API, in TypeScript. REST routes, MCP tools
 * (through REST), the CLI and library users all call these methods; nothing
 * else reaches the broker.
 *
 * Every method accepts the *input* shape of its zod schema (defaults may be
 * omitted, symbols in any case) and validates it, so a library caller gets the
 * same VALIDATION_ERROR a REST caller does.
 */
import type { Broker, Unsubscribe } from '../broker/port.js';
import type { Config } from '../config.js';
import type { Logger } from '../logging.js';
import type { Metrics } from '../metrics.js';
import type {
  AccountPnL,
  Approval,
  ApprovalDecision,
  ApprovalListQueryInput,
  ApproveRequestInput,
  RejectRequestInput,
  AccountSummary,
  AuditPage,
  AuditQueryInput,
  AuditVerifyResult,
  Bar,
  CancelAllQueryInput,
  CancelAllResult,
  CancelResult,
  ClosePositionRequestInput,
  Contract,
  Health,
  HistoricalRequestInput,
  KillSwitchChange,
  KillSwitchStatus,
  ModificationPreview,
  ModifyOrderInput,
  ModifyResult,
  OptionChain,
  OrderModificationInput,
  OrderDetail,
  OrderEvent,
  OrderEventsQueryInput,
  OrderListQuery,
  OrderPreview,
  OrderResult,
  OrderSpecInput,
  Position,
  Quote,
  SymbolSpecInput,
} from '../models.js';
import type { RiskLimits } from '../config.js';
import type { z } from 'zod';
import type { OptionChainQuery, PlaceOrderRequest } from '../models.js';

export type PlaceOrderInput = z.input<typeof PlaceOrderRequest>;
export type OrderListQueryInput = z.input<typeof OrderListQuery>;
export type OptionChainQueryInput = z.input<typeof OptionChainQuery>;

export interface PlaceOptions {
  /** A retry with the same key returns the first result and places nothing. */
  idempotencyKey?: string;
}

export interface GatewayClient {
  readonly config: Config;
  readonly broker: Broker;
  readonly metrics: Metrics;
  readonly logger: Logger;

  resolveContract(spec: SymbolSpecInput): Promise<Contract>;
  /**
   * A quote snapshot. Read-only: the simulator hands every caller at one instant the same frozen object
   * (copy it, `{ ...quote }`, to change it).
   */
  getQuote(spec: SymbolSpecInput): Promise<Quote>;
  /**
   * The same quote as getQuote(), returned at once when nothing has to be waited for (the contract was
   * resolved before and the broker has the quote at hand, as the simulator does), else getQuote()'s
   * promise. Throws at once what the promise would reject with on that path. The REST quote route uses
   * it: an answer at once costs no promise, no promise hook and no microtask turn.
   */
  quoteNow(spec: SymbolSpecInput): Quote | Promise<Quote>;
  /**
   * Streams quotes. Listeners of one instrument share a single broker
   * subscription, released when the last listener unsubscribes.
   */
  streamQuotes(spec: SymbolSpecInput, listener: (quote: Quote) => void): Promise<Unsubscribe>;
  /** `signal` stops the work when the caller goes away (the REST API aborts it when the client disconnects). */
  getBars(request: HistoricalRequestInput, options?: { signal?: AbortSignal }): Promise<Bar[]>;
  getOptionChain(query: OptionChainQueryInput): Promise<OptionChain>;

  getAccountSummary(accountId?: string): Promise<AccountSummary>;
  getPositions(accountId?: string): Promise<Position[]>;
  getPnl(accountId?: string): Promise<AccountPnL>;

  previewOrder(spec: OrderSpecInput): Promise<OrderPreview>;
  placeOrder(request: PlaceOrderInput, options?: PlaceOptions): Promise<OrderResult>;
  getOrderStatus(orderId: string): Promise<OrderDetail>;
  /** What modifying a working order would do (risk checks of the new version, estimates); binds a previewId to this modification. */
  previewModification(orderId: string, changes: OrderModificationInput): Promise<ModificationPreview>;
  /** Changes a working order in place (same id): prices, quantity (above what filled), time in force, outsideRth. */
  modifyOrder(orderId: string, request: ModifyOrderInput, options?: PlaceOptions): Promise<ModifyResult>;
  cancelOrder(orderId: string): Promise<CancelResult>;
  listOrders(query?: OrderListQueryInput): Promise<OrderDetail[]>;
  /** Cancels every working order of the account (optionally one symbol), each recorded; lists what was cancelled and what could not be. */
  cancelAllOrders(query?: CancelAllQueryInput): Promise<CancelAllResult>;
  /** What closing (part of) the position in `symbol` would do; the previewId binds that close. */
  previewClosePosition(symbol: string, request?: ClosePositionRequestInput): Promise<OrderPreview>;
  /** Places the offsetting market order for (part of) the position, through the normal order path. */
  closePosition(symbol: string, request?: ClosePositionRequestInput, options?: PlaceOptions): Promise<OrderResult>;
  /**
   * Every order change and fill, in sequence order: those after `afterSequence`
   * (0: from the first), else only new ones, then each as it is recorded, until
   * `signal` aborts or the client closes. Resuming after the last sequence seen
   * loses nothing and repeats nothing.
   */
  orderEvents(options?: { afterSequence?: number; signal?: AbortSignal; owner?: 'this' | 'any' }): AsyncIterable<OrderEvent>;
  /** Recorded order events: after `afterSequence`, or the latest `limit`. */
  listOrderEvents(query?: OrderEventsQueryInput): Promise<OrderEvent[]>;

  /** Orders held for a person's approval (default: the pending ones, newest first). */
  listApprovals(query?: ApprovalListQueryInput): Promise<Approval[]>;
  getApproval(approvalId: string): Promise<Approval>;
  /**
   * Approves an order held for approval: four eyes (never the key that placed
   * it), bound to its spec hash, assessed again against the market, limits and
   * gates, then sent once. A replay answers with the decision already taken.
   */
  approveOrder(approvalId: string, request?: ApproveRequestInput): Promise<ApprovalDecision>;
  /** Rejects an order held for approval (four eyes), with a reason; nothing is sent. */
  rejectOrder(approvalId: string, request: RejectRequestInput): Promise<ApprovalDecision>;

  queryAudit(query?: AuditQueryInput): Promise<AuditPage>;
  verifyAudit(): Promise<AuditVerifyResult>;

  health(): Promise<Health>;
  /**
   * The desk-wide switch with the engaged switches of this gateway's accounts
   * (or of `account`). Read from the store (cheaply, only when something was
   * committed): a switch engaged by another process shows at once.
   */
  killSwitch(options?: { account?: string }): Promise<KillSwitchStatus>;
  /**
   * Engaging blocks new orders (in every process and every gateway on the
   * store, from their next order) and cancels the working orders: this
   * gateway's at once, reporting each, and every other gateway's through its
   * follower (KILL_SWITCH_ENFORCED); `cancelWorking: false` opts out. Engaging
   * also rejects every order held for approval. `account` engages or releases
   * that account's switch only. The state survives a restart.
   */
  setKillSwitch(engaged: boolean, reason: string | null, options?: { cancelWorking?: boolean; account?: string }): Promise<KillSwitchChange>;
  riskLimits(): RiskLimits;

  close(): Promise<void>;
}
