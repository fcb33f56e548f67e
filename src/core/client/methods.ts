/**
 * The GatewayClient's methods: each validates its input with the models'
 * schemas, takes the request context when it is called (a REST request's,
 * handed over; a library user's withContext; else a fresh one: logging.ts)
 * and carries it to the core explicitly (forRequest), and counts its errors
 * by code.
 */
import { z } from 'zod';
import { inScope } from '../audit/scope.js';
import type { Unsubscribe } from '../broker/port.js';
import { fromZodIssues, GatewayError, OrderNotFoundError } from '../errors.js';
import { evaluateGates } from '../gates.js';
import { assertHistoryWithinBounds } from '../history-limits.js';
import type { GatewayClient, OptionChainQueryInput, OrderListQueryInput, PlaceOptions, PlaceOrderInput } from './interface.js';
import { contextOf, type RequestContext } from '../logging.js';
import { healthStatusOf } from './health-status.js';
import type { QuoteHub } from '../market-data.js';
import { timed, timedNow } from '../metrics.js';
import {
  ApprovalListQuery,
  AuditQuery,
  HistoricalRequest,
  KillSwitchAccount,
  OptionChainQuery,
  OrderEventsQuery,
  OrderListQuery,
  type AuditQueryInput,
  type Contract,
  type Health,
  type HistoricalRequestInput,
  type KillSwitchChange,
  type ModifyOrderInput,
  type OrderModificationInput,
  type OrderSpecInput,
  type Quote,
  type SymbolSpecInput,
} from '../models.js';
import { cancelAllWorking, cancelOrder } from '../orders/cancel.js';
import { cancelAllOrders } from '../orders/cancel-all.js';
import { closePosition, previewClosePosition } from '../orders/close-position.js';
import type { OrderEventFeed } from '../orders/event-feed.js';
import { forRequest, type OrderContext } from '../orders/context.js';
import { modifyOrder, previewModification } from '../orders/modify.js';
import { placeOrder } from '../orders/place.js';
import { previewOrder } from '../orders/preview.js';
import { approveOrder, expireDue, listApprovals, readApproval, rejectOrder } from '../approvals/index.js';

function parse<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw fromZodIssues(parsed.error.issues, what);
  return parsed.data;
}

export interface ClientParts {
  ctx: OrderContext;
  quotes: QuoteHub;
  startedAt: number;
  version: string;
  orderEvents: OrderEventFeed;
  /** What a call made outside any context is stamped with (the CLI: its interface and one id per command). */
  fresh?: Partial<RequestContext>;
}

export function buildClient({ ctx, quotes, startedAt, version, orderEvents, fresh = {} }: ClientParts): GatewayClient {
  const { broker, audit, metrics, logger, config, clock } = ctx;
  const countError = (err: unknown): never => {
    metrics.errorsByCode.inc({ code: err instanceof GatewayError ? err.code : 'INTERNAL_ERROR' });
    throw err;
  };
  // One then() rather than an async wrapper and its await: fewer promises per call (see timed()).
  // The context is taken now, synchronously, and travels as the request's order context from here on.
  const call = <T>(fn: (request: OrderContext) => Promise<T>): Promise<T> => {
    let pending: Promise<T>;
    try {
      pending = fn(forRequest(ctx, contextOf(undefined, fresh)));
    } catch (err) {
      return Promise.reject(err as Error).catch(countError);
    }
    return pending.catch(countError);
  };
  /** The broker's quote once the contract is known, timed; errors counted by code once, in the same then(). */
  const quoteOnceKnown = (contract: Contract | Promise<Contract>): Promise<Quote> =>
    contract instanceof Promise
      ? contract.then((resolved) => timed(metrics, 'getQuote', () => broker.getQuote(resolved))).catch(countError)
      : timed(metrics, 'getQuote', () => broker.getQuote(contract), countError);
  const account = (id?: string): string => ctx.resolveAccount(id);
  let closed = false;

  const client: GatewayClient = {
    config,
    broker,
    metrics,
    logger,
    resolveContract: (spec: SymbolSpecInput) => call(() => ctx.contracts.resolve(spec)),
    // A quote writes no row and no line: it needs no request context.
    getQuote: (spec: SymbolSpecInput) => {
      // call() by hand: a contract resolved before is used at once, so the hot path of a quote awaits only
      // the broker, and the error count by code rides on timed()'s then() instead of a catch() of its own.
      let contract: ReturnType<typeof ctx.contracts.resolveNow>;
      try {
        contract = ctx.contracts.resolveNow(spec);
      } catch (err) {
        return Promise.reject(err as Error).catch(countError);
      }
      return quoteOnceKnown(contract);
    },
    quoteNow: (spec: SymbolSpecInput) => {
      let contract: ReturnType<typeof ctx.contracts.resolveNow>;
      try {
        contract = ctx.contracts.resolveNow(spec);
        // A broker that has the quote at hand answers now, timed and counted as getQuote() would be.
        const atHand = broker.quoteNow;
        if (!(contract instanceof Promise) && atHand !== undefined) {
          const known = contract;
          return timedNow(metrics, 'getQuote', () => atHand.call(broker, known));
        }
      } catch (err) {
        return countError(err);
      }
      return quoteOnceKnown(contract);
    },
    streamQuotes: (spec: SymbolSpecInput, listener): Promise<Unsubscribe> => call(async () => quotes.subscribe(await ctx.contracts.resolve(spec), listener)),
    getBars: (input: HistoricalRequestInput, options?: { signal?: AbortSignal }) =>
      call(async () => {
        const { barSize, duration, whatToShow, useRth, endTime, ...instrument } = parse(HistoricalRequest, input, 'Historical request');
        // Before any broker work: past IBKR's table a request costs minutes (issue 17), whichever interface sent it.
        assertHistoryWithinBounds(duration, barSize);
        const contract = await ctx.contracts.resolve(instrument);
        const signal = options?.signal;
        signal?.throwIfAborted();
        return timed(metrics, 'getHistoricalBars', () => broker.getHistoricalBars(contract, { barSize, duration, whatToShow, useRth, endTime, ...(signal ? { signal } : {}) }));
      }),
    getOptionChain: (input: OptionChainQueryInput) =>
      call(async () => {
        const { expiry, strikesAroundSpot, ...underlying } = parse(OptionChainQuery, input, 'Option chain query');
        const contract = await ctx.contracts.resolve(underlying);
        return timed(metrics, 'getOptionChain', () => broker.getOptionChain(contract, { expiry, strikesAroundSpot }));
      }),
    getAccountSummary: (id?: string) => call(() => timed(metrics, 'getAccountSummary', () => broker.getAccountSummary(account(id)))),
    getPositions: (id?: string) => call(() => timed(metrics, 'getPositions', () => broker.getPositions(account(id)))),
    getPnl: (id?: string) => call(() => timed(metrics, 'getPnl', () => broker.getPnl(account(id)))),
    previewOrder: (spec: OrderSpecInput) => call((c) => previewOrder(c, spec)),
    placeOrder: (request: PlaceOrderInput, options?: PlaceOptions) => call((c) => placeOrder(c, request, options)),
    getOrderStatus: (orderId: string) =>
      call(async () => {
        const order = await audit.getOrder(orderId);
        if (!order) throw new OrderNotFoundError(orderId);
        return order;
      }),
    previewModification: (orderId: string, changes: OrderModificationInput) => call((c) => previewModification(c, orderId, changes)),
    modifyOrder: (orderId: string, request: ModifyOrderInput, options?: PlaceOptions) => call((c) => modifyOrder(c, orderId, request, options)),
    cancelOrder: (orderId: string) => call((c) => cancelOrder(c, orderId)),
    listOrders: (input?: OrderListQueryInput) =>
      call(async () => {
        const query = parse(OrderListQuery, input ?? {}, 'Order query');
        // owner=any is the desk view: every gateway's orders on this store, each naming its owner.
        return audit.listOrders(query, query.owner === 'any' ? undefined : ctx.scope());
      }),
    cancelAllOrders: (query) => call((c) => cancelAllOrders(c, query)),
    previewClosePosition: (symbol, request) => call((c) => previewClosePosition(c, symbol, request)),
    closePosition: (symbol, request, options) => call((c) => closePosition(c, symbol, request, options)),
    orderEvents: (options = {}) => {
      if (options.afterSequence !== undefined) parse(OrderEventsQuery.shape.afterSequence, options.afterSequence, 'afterSequence');
      const { owner, ...rest } = options;
      // owner=this: the events of orders this connection owns (the scope is read per event: accounts can appear after connect).
      return orderEvents.stream(owner === 'this' ? { ...rest, only: (order) => inScope(order, ctx.scope()) } : rest);
    },
    listOrderEvents: (input) =>
      call(async () => {
        const query = parse(OrderEventsQuery, input ?? {}, 'Order events query');
        return audit.orderEvents(query.afterSequence, query.limit);
      }),
    listApprovals: (input) =>
      call(async (c) => {
        const query = parse(ApprovalListQuery, input ?? {}, 'Approval query');
        await expireDue(c);
        return listApprovals(ctx, query.state, query.limit);
      }),
    getApproval: (approvalId: string) =>
      call(async (c) => {
        await expireDue(c);
        return readApproval(ctx, approvalId);
      }),
    approveOrder: (approvalId, request) => call((c) => approveOrder(c, approvalId, request)),
    rejectOrder: (approvalId, request) => call((c) => rejectOrder(c, approvalId, request)),
    queryAudit: (input?: AuditQueryInput) => call(async () => audit.query(parse(AuditQuery, input ?? {}, 'Audit query'))),
    verifyAudit: () => call(() => audit.verify()),
    health: () => call(async () => health()),
    killSwitch: (options: { account?: string } = {}) =>
      call(async () => {
        const account = options.account === undefined ? null : parse(KillSwitchAccount, options.account, 'account');
        const desk = await ctx.killSwitch.state();
        return { ...desk, accounts: await ctx.killSwitch.engagedAccounts(account === null ? broker.accounts() : [account]) };
      }),
    setKillSwitch: (engaged: boolean, reason: string | null, options: { cancelWorking?: boolean; account?: string } = {}): Promise<KillSwitchChange> =>
      call(async (c) => {
        const account = options.account === undefined ? null : parse(KillSwitchAccount, options.account, 'account');
        const gate = evaluateGates({ config, killSwitch: await ctx.killSwitch.effective(account), accountId: account ?? broker.accounts()[0] ?? null, brokerState: broker.status().state });
        // The switch is in the store before any cancel is tried: a cancel that hangs or fails cannot delay the stop.
        const state = await ctx.killSwitch.set(engaged, reason, gate.snapshot, { account, cancelWorking: options.cancelWorking, request: c.request });
        if (!engaged) return { ...state, cancelled: [], cancelFailed: [], cancelSkipped: 'released: nothing to cancel' };
        // Nothing held for approval may be sent after a stop: every pending approval (of the account) is rejected, whatever cancelWorking says.
        const approvalsRejected = await expireDue(c, `kill switch engaged${account === null ? '' : ` for account ${account}`} (${reason ?? 'no reason'})`, account);
        if (options.cancelWorking === false) return { ...state, cancelled: [], cancelFailed: [], cancelSkipped: 'cancelWorking: false', approvalsRejected };
        // This gateway cancels its own orders now (set() claimed them from its follower); the others' followers cancel theirs.
        const { cancelled, failed, globalCancelSent } = await cancelAllWorking(c, account);
        c.logger.warn({ cancelled, failed, globalCancelSent, reason, account }, 'kill switch engaged: working orders cancelled');
        return { ...state, cancelled, cancelFailed: failed, cancelSkipped: null, approvalsRejected, ...(globalCancelSent === undefined ? {} : { globalCancelSent }) };
      }),
    riskLimits: () => config.risk,
    close: async () => {
      if (closed) return;
      closed = true;
      orderEvents.close();
      await broker.close();
      // After the broker: nothing of this instance is in flight any more, so its claims may be settled by others at once.
      await ctx.instance.stop();
      await audit.close();
    },
  };

  // The open-order query walks the history; a poll between commits reuses the last count.
  let working: { mark: string; scope: string; count: number } | null = null;
  async function workingOrders(): Promise<number> {
    const scope = ctx.scope();
    const key = JSON.stringify(scope);
    const mark = await audit.changeMark();
    if (working?.mark !== mark || working.scope !== key) working = { mark, scope: key, count: (await audit.openOrders(scope)).length };
    return working.count;
  }

  async function health(): Promise<Health> {
    const status = broker.status();
    const timedRead = async (): Promise<number> => {
      const started = performance.now();
      await ctx.audit.lastOrderSequence();
      return Math.round((performance.now() - started) * 1000) / 1000;
    };
    const [killSwitch, working, storeLatencyMs] = await Promise.all([ctx.killSwitch.state(), workingOrders(), timedRead()]);
    const gate = evaluateGates({ config, killSwitch, accountId: status.accounts[0] ?? null, brokerState: status.state });
    const state = healthStatusOf(status.state);
    return {
      status: state,
      version,
      timestamp: new Date(clock.now()).toISOString(),
      uptimeSeconds: Math.round((clock.now() - startedAt) / 1000),
      broker: status,
      tradingMode: config.tradingMode,
      ordersEnabled: config.ordersEnabled,
      liveOverridePresent: gate.snapshot.liveOverridePresent,
      effectiveOrderMode: gate.outcome,
      killSwitch,
      workingOrders: working,
      store: { kind: ctx.audit.kind, latencyMs: storeLatencyMs },
    };
  }
  return client;
}

