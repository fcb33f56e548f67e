/**
 * Orders at IBKR: ids we allocate ourselves (max of nextValidId and the highest
 * id ever used), placement with orderRef carrying our reference, what-if
 * previews, status mapping, cancels, open orders and executions. Executions and
 * their commission reports become Fill events, each execId reported once (the
 * store remembers them), so fills recovered after a reconnect are reported
 * exactly once too.
 *
 * An order whose acknowledgement does not arrive stays PENDING_SUBMIT: it is
 * never sent again; the adapter looks for it among the open orders and
 * executions, and the core marks it UNKNOWN until reconciliation settles it.
 */
import { EventName, type Contract as IbContract, type Order as IbOrder } from '@stoqey/ib';
import { BrokerConnectionError, GatewayError, OrderNotFoundError } from '../../core/errors.js';
import { toCents } from '../../core/money.js';
import { TERMINAL_STATUSES, type Contract, type Fill, type OrderSpec, type OrderStatus } from '../../core/models.js';
import type { BrokerOrderState, ExecutionsQuery, PlaceOrderAck, PlaceOrderRequest, WhatIfResult } from '../../core/broker/port.js';
import type { TwsContext } from './context.js';
import type { Contracts } from './contracts.js';
import { classify, ibkrError } from '../../ibkr/error-codes.js';
import type { OrderStore } from './order-store.js';
import { fromContractDetails, ibOrderToSpec, isRecord, mapCompleted, mapStatus, num, parseTwsTime, specToIbOrder, str, toIbContract, twsUtc } from './wire.js';

interface Tracked {
  state: BrokerOrderState;
  permId: number | null;
  /** Settles placeOrder's wait for the first word from TWS about this order. */
  acked: (() => void) | null;
  changed: (() => void)[];
}

/** How an order ended at IBKR, from reqCompletedOrders. */
export interface Completion {
  status: OrderStatus;
  completedStatus: string;
  filledQuantity: number;
}

interface PendingExec {
  fill: Omit<Fill, 'commission' | 'commissionCurrency' | 'realizedPnl'>;
  account: string | null;
  timer: ReturnType<typeof setTimeout> | null;
}

/** How long an execution waits for its commission report before it is reported without one. */
const COMMISSION_WAIT_MS = 3000;

const cloneState = (s: BrokerOrderState): BrokerOrderState => ({ ...s, spec: { ...s.spec } });

export class Orders {
  private readonly tracked = new Map<string, Tracked>();
  private readonly pendingExecs = new Map<string, PendingExec>();
  private readonly commissions = new Map<string, { commission: number; currency: string; realized: number | null }>();
  private readonly whatIfs = new Map<number, { resolve: (state: unknown) => void; reject: (e: Error) => void }>();
  private readonly execCollectors = new Map<number, { fills: Fill[]; ids: string[]; done: () => void }>();
  private openCollector: { ids: Set<string>; done: () => void } | null = null;
  private openLock: Promise<unknown> = Promise.resolve();
  private completedCollector: { found: Map<string, Completion>; done: () => void } | null = null;
  private completedLock: Promise<unknown> = Promise.resolve();
  private nextId = 0;

  constructor(
    private readonly ctx: TwsContext,
    private readonly store: OrderStore,
    private readonly contracts: Contracts,
    private readonly onLostAck: (orderId: string) => void,
  ) {
    for (const { state, permId } of store.orders()) this.tracked.set(state.orderId, { state, permId, acked: null, changed: [] });
    ctx.conn.bind((ib) => {
      ib.on(EventName.openOrder, (orderId: number, contract: IbContract, order: IbOrder, orderState: unknown) => this.onOpenOrder(orderId, contract, order, orderState));
      ib.on(EventName.openOrderEnd, () => this.openCollector?.done());
      ib.on(EventName.orderStatus, (orderId: number, status: unknown, filled: unknown, remaining: unknown, avgFillPrice: unknown, permId: unknown) =>
        this.onOrderStatus(orderId, str(status), num(filled) ?? 0, num(remaining) ?? 0, num(avgFillPrice), num(permId)),
      );
      ib.on(EventName.execDetails, (reqId: number, contract: IbContract, execution: unknown) => this.onExecution(reqId, contract, execution));
      ib.on(EventName.execDetailsEnd, (reqId: number) => this.execCollectors.get(reqId)?.done());
      ib.on(EventName.commissionReport, (report: unknown) => this.onCommission(report));
      ib.on(EventName.completedOrder, (contract: IbContract, order: IbOrder, orderState: unknown) => this.onCompletedOrder(contract, order, orderState));
      ib.on(EventName.completedOrdersEnd, () => this.completedCollector?.done());
    });
    ctx.conn.onOrphanError((id, code, message) => this.onOrderError(id, code, message));
  }

  // ---------------------------------------------------------------------------
  // Ids

  /** After each handshake: ids continue above both nextValidId and every id this gateway ever used. */
  syncIds(): void {
    this.nextId = Math.max(this.nextId, this.ctx.conn.nextValidId ?? 0, this.store.highestOrderId() + 1);
  }

  allocate(count: number): string[] {
    if (!Number.isInteger(count) || count < 1) throw new RangeError('allocateOrderIds: count must be a positive integer');
    if (this.ctx.conn.nextValidId === null && this.nextId === 0) throw new BrokerConnectionError('No order ids before the first connection to IB Gateway/TWS');
    this.syncIds();
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(String(this.nextId++));
    // Persisted before any of them is used: a crash right after cannot hand the same ids out again.
    this.store.noteOrderId(this.nextId - 1);
    return ids;
  }

  // ---------------------------------------------------------------------------
  // Queries

  get(orderId: string): BrokerOrderState | null {
    const t = this.tracked.get(orderId);
    return t ? cloneState(t.state) : null;
  }

  all(): BrokerOrderState[] {
    return [...this.tracked.values()].map((t) => cloneState(t.state));
  }

  /** reqAllOpenOrders: updates every order TWS lists; returns the ids it listed. */
  async syncOpenOrders(): Promise<Set<string>> {
    const turn = this.openLock.catch(() => undefined).then(async () => {
      const { conn, requestTimeoutMs } = this.ctx;
      const req = conn.registry.start<Set<string>>('open orders', { timeoutMs: requestTimeoutMs, onSettle: () => (this.openCollector = null) });
      const ids = new Set<string>();
      this.openCollector = { ids, done: () => req.resolve(ids) };
      await conn.send('reqAllOpenOrders', (ib) => ib.reqAllOpenOrders()).catch((err: Error) => req.reject(err));
      return req.promise;
    });
    this.openLock = turn;
    return turn;
  }

  /**
   * reqCompletedOrders: how each order that ended at IBKR ended, by our order
   * id (matched by permId, or by orderRef when exactly one working order of
   * ours carries it: completed orders have no order id).
   */
  async syncCompletedOrders(): Promise<Map<string, Completion>> {
    const turn = this.completedLock.catch(() => undefined).then(async () => {
      const { conn, requestTimeoutMs } = this.ctx;
      const req = conn.registry.start<Map<string, Completion>>('completed orders', { timeoutMs: requestTimeoutMs, onSettle: () => (this.completedCollector = null) });
      const found = new Map<string, Completion>();
      this.completedCollector = { found, done: () => req.resolve(found) };
      await conn.send('reqCompletedOrders', (ib) => ib.reqCompletedOrders(false)).catch((err: Error) => req.reject(err));
      return req.promise;
    });
    this.completedLock = turn;
    return turn;
  }

  private onCompletedOrder(ibContract: IbContract, order: IbOrder, orderState: unknown): void {
    const collector = this.completedCollector;
    if (!collector || !isRecord(order) || !isRecord(orderState)) return;
    const completedStatus = str(orderState.completedStatus);
    const status = mapCompleted(str(orderState.status), completedStatus);
    if (!status) return;
    const permId = num(order.permId);
    let t = permId !== null && permId > 0 ? [...this.tracked.values()].find((x) => x.permId === permId) : undefined;
    if (!t) {
      const ref = str(order.orderRef);
      const conId = num(ibContract.conId);
      const action = str(order.action).toUpperCase() === 'BUY' ? 'BUY' : 'SELL';
      const quantity = num(order.totalQuantity);
      const candidates = ref
        ? [...this.tracked.values()].filter((x) => !TERMINAL_STATUSES.has(x.state.status) && x.state.orderRef === ref && x.state.conId === conId && x.state.spec.action === action && x.state.spec.quantity === quantity)
        : [];
      if (candidates.length === 1) t = candidates[0];
    }
    if (t) collector.found.set(t.state.orderId, { status, completedStatus, filledQuantity: num(order.filledQuantity) ?? 0 });
  }

  async openOrders(): Promise<BrokerOrderState[]> {
    const ids = await this.syncOpenOrders();
    return [...ids].map((id) => this.tracked.get(id)).filter((t): t is Tracked => t !== undefined && !TERMINAL_STATUSES.has(t.state.status)).map((t) => cloneState(t.state));
  }

  /** reqExecutions since `since`: every execution is recorded (and reported if new); returns the fills listed. */
  async executions(query: ExecutionsQuery = {}): Promise<Fill[]> {
    const { conn, requestTimeoutMs } = this.ctx;
    const req = conn.registry.start<string[]>('executions', { timeoutMs: requestTimeoutMs, onSettle: () => this.execCollectors.delete(req.id) });
    const ids: string[] = [];
    this.execCollectors.set(req.id, { fills: [], ids, done: () => req.resolve(ids) });
    const sinceMs = query.since ? Date.parse(query.since) : null;
    const filter: Record<string, string> = {};
    // A minute of slack: TWS filters on whole seconds in its own clock.
    if (sinceMs !== null) filter.time = twsUtc(sinceMs - 60_000);
    if (query.accountId) filter.acctCode = query.accountId;
    await conn.send('reqExecutions', (ib) => ib.reqExecutions(req.id, filter)).catch((err: Error) => req.reject(err));
    const execIds = await req.promise;
    // Commission reports follow their executions; give the last ones a moment before reading them.
    await new Promise((r) => setImmediate(r));
    const out: Fill[] = [];
    for (const id of execIds) {
      const f = this.store.fill(id) ?? this.provisional(id);
      if (!f) continue;
      if (sinceMs !== null && Date.parse(f.time) < sinceMs) continue;
      out.push(f);
    }
    return out;
  }

  private provisional(execId: string): Fill | null {
    const p = this.pendingExecs.get(execId);
    if (!p) return null;
    const c = this.commissions.get(execId);
    return { ...p.fill, commission: c?.commission ?? 0, commissionCurrency: c?.currency ?? 'USD', realizedPnl: c?.realized ?? null };
  }

  // ---------------------------------------------------------------------------
  // Placing

  async place(request: PlaceOrderRequest): Promise<PlaceOrderAck> {
    const { conn, requestTimeoutMs } = this.ctx;
    if (conn.state === 'degraded') throw new BrokerConnectionError('IBKR connectivity is lost (1100): new orders are held until it returns; nothing was sent', 'BROKER_DEGRADED');
    if (!conn.usable) throw new BrokerConnectionError(`IB Gateway/TWS is ${conn.state}; nothing was sent`);
    const { ids, contract } = request;
    if (this.tracked.has(ids.orderId)) {
      return { orderId: ids.orderId, status: 'REJECTED', message: `Duplicate order id ${ids.orderId}; the existing order is left alone`, children: [] };
    }
    const legs = this.legs(request);
    for (const leg of legs) {
      this.store.noteOrderId(Number(leg.state.orderId));
      this.track(leg.state, null);
    }
    const parent = this.tracked.get(ids.orderId);
    if (!parent) throw new GatewayError('INTERNAL_ERROR', 'order was not tracked');
    const acked = new Promise<void>((resolve) => {
      parent.acked = resolve;
    });
    try {
      for (const leg of legs) {
        await conn.send('placeOrder', (ib) => ib.placeOrder(Number(leg.state.orderId), toIbContract(contract), leg.order));
      }
    } catch (err) {
      // The pacer had not written it when the socket went: nothing (or, for a bracket, not the transmitting leg) reached IBKR.
      const message = `Not transmitted: ${err instanceof Error ? err.message : String(err)}`;
      for (const leg of legs) this.update(leg.state.orderId, { status: 'REJECTED', message });
      return this.ack(ids.orderId);
    }
    let timer: ReturnType<typeof setTimeout> | null = null;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), requestTimeoutMs);
      timer.unref();
    });
    const outcome = await Promise.race([acked.then(() => 'acked' as const), timedOut]);
    if (timer) clearTimeout(timer);
    parent.acked = null;
    if (outcome === 'timeout') {
      this.update(ids.orderId, { message: `No acknowledgement from IBKR within ${requestTimeoutMs} ms; the order is not resent and will be reconciled` }, false);
      this.onLostAck(ids.orderId);
    }
    return this.ack(ids.orderId);
  }

  private ack(orderId: string): PlaceOrderAck {
    const parent = this.tracked.get(orderId);
    const children = [...this.tracked.values()].filter((t) => t.state.parentOrderId === orderId).map((t) => cloneState(t.state));
    return { orderId, status: parent?.state.status ?? 'UNKNOWN', message: parent?.state.message ?? null, children };
  }

  /** The TWS orders for a request: the entry, then bracket children (the last leg transmits the whole bracket). */
  private legs(request: PlaceOrderRequest): { state: BrokerOrderState; order: IbOrder }[] {
    const { ids, spec, accountId, orderRef, contract } = request;
    const now = this.ctx.nowIso();
    const state = (orderId: string, parentOrderId: string | null, role: BrokerOrderState['role'], s: OrderSpec): BrokerOrderState => ({
      orderId, parentOrderId, role, accountId, orderRef, conId: contract.conId, spec: s, status: 'PENDING_SUBMIT',
      filledQuantity: 0, remainingQuantity: s.quantity, avgFillPrice: null, commission: null, message: null, updatedAt: now,
    });
    const out = [{ state: state(ids.orderId, null, 'ENTRY', spec), order: specToIbOrder(spec, { account: accountId, orderRef }) }];
    const exit = spec.action === 'BUY' ? 'SELL' : 'BUY';
    const tif = spec.timeInForce === 'GTC' || spec.timeInForce === 'DAY' ? spec.timeInForce : 'GTC';
    const base = { symbol: spec.symbol, securityType: spec.securityType, action: exit, quantity: spec.quantity, timeInForce: tif, outsideRth: spec.outsideRth } as const;
    if (spec.takeProfitPrice !== undefined && ids.takeProfitOrderId) {
      const s: OrderSpec = { ...base, orderType: 'LMT', limitPrice: spec.takeProfitPrice };
      out.push({ state: state(ids.takeProfitOrderId, ids.orderId, 'TAKE_PROFIT', s), order: { ...specToIbOrder(s, { account: accountId, orderRef }), parentId: Number(ids.orderId) } });
    }
    if (spec.stopLossPrice !== undefined && ids.stopLossOrderId) {
      const s: OrderSpec = { ...base, orderType: 'STP', stopPrice: spec.stopLossPrice };
      out.push({ state: state(ids.stopLossOrderId, ids.orderId, 'STOP_LOSS', s), order: { ...specToIbOrder(s, { account: accountId, orderRef }), parentId: Number(ids.orderId) } });
    }
    // IBKR's bracket rule: every leg but the last is sent with transmit=false, so nothing works until all arrived.
    out.forEach((leg, i) => {
      leg.order.transmit = i === out.length - 1;
    });
    return out;
  }

  async whatIf(contract: Contract, spec: OrderSpec, accountId: string): Promise<WhatIfResult> {
    const { conn, requestTimeoutMs } = this.ctx;
    const [idText] = this.allocate(1);
    const id = Number(idText);
    const state = await new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.whatIfs.delete(id);
        reject(new BrokerConnectionError(`IBKR did not answer the what-if request within ${requestTimeoutMs} ms`, 'BROKER_TIMEOUT'));
      }, requestTimeoutMs);
      timer.unref();
      const done = <T>(fn: (v: T) => void) => (v: T): void => {
        clearTimeout(timer);
        this.whatIfs.delete(id);
        fn(v);
      };
      this.whatIfs.set(id, { resolve: done(resolve), reject: done(reject) });
      conn.send('placeOrder whatIf', (ib) => ib.placeOrder(id, toIbContract(contract), specToIbOrder(spec, { account: accountId, orderRef: 'what-if', whatIf: true }))).catch(done(reject));
    });
    const s = isRecord(state) ? state : {};
    let commission = num(s.commission);
    if (commission === null) {
      const lo = num(s.minCommission);
      const hi = num(s.maxCommission);
      if (lo !== null && hi !== null) commission = (lo + hi) / 2;
    }
    const warning = str(s.warningText);
    const money = (v: unknown): number | null => {
      const n = num(v);
      return n === null ? null : toCents(n);
    };
    return {
      referencePrice: spec.limitPrice ?? spec.stopPrice ?? null,
      estimatedCommission: commission === null ? null : toCents(commission),
      commissionCurrency: str(s.commissionCurrency) || contract.currency,
      initMarginChange: money(s.initMarginChange),
      maintMarginChange: money(s.maintMarginChange),
      equityWithLoanAfter: money(s.equityWithLoanAfter),
      // IBKR's what-if does not report buying power; the core's risk checks use margin and equity.
      buyingPowerAfter: null,
      warnings: warning ? warning.split(/;\s*/).filter((w) => w !== '') : [],
    };
  }

  async cancel(orderId: string): Promise<BrokerOrderState> {
    const t = this.tracked.get(orderId);
    if (!t) throw new OrderNotFoundError(orderId);
    if (TERMINAL_STATUSES.has(t.state.status)) return cloneState(t.state);
    const numeric = Number(orderId);
    if (!Number.isSafeInteger(numeric) || numeric <= 0) {
      throw new GatewayError('ORDER_NOT_CANCELLABLE', `Order ${orderId} was placed outside this API client; cancel it in TWS`, { orderId });
    }
    const { conn, requestTimeoutMs } = this.ctx;
    if (!conn.usable) throw new BrokerConnectionError(`IB Gateway/TWS is ${conn.state}; the cancel was not sent`);
    const settled = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, requestTimeoutMs);
      timer.unref();
      t.changed.push(() => {
        if (TERMINAL_STATUSES.has(t.state.status) || t.state.message?.startsWith('Cancel refused') === true) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await conn.send('cancelOrder', (ib) => ib.cancelOrder(numeric));
    await settled;
    return cloneState(t.state);
  }

  // ---------------------------------------------------------------------------
  // Events from TWS

  private track(state: BrokerOrderState, permId: number | null): Tracked {
    const t: Tracked = { state, permId, acked: null, changed: [] };
    this.tracked.set(state.orderId, t);
    this.store.saveOrder(state, permId);
    return t;
  }

  /** Applies a change; emits orderStatus when something a listener cares about moved. */
  private update(orderId: string, patch: Partial<BrokerOrderState>, emit = true): void {
    const t = this.tracked.get(orderId);
    if (!t) return;
    const before = t.state;
    const next: BrokerOrderState = { ...before, ...patch };
    // A finished order stays finished; only the fill details of a FILLED order may still be completed.
    if (TERMINAL_STATUSES.has(before.status) && patch.status !== undefined && patch.status !== before.status) {
      if (!(patch.status === 'FILLED' && before.status !== 'REJECTED')) next.status = before.status;
    }
    const moved = next.status !== before.status || next.filledQuantity !== before.filledQuantity || next.message !== before.message || next.avgFillPrice !== before.avgFillPrice;
    if (!moved && next.accountId === before.accountId) return;
    next.updatedAt = this.ctx.nowIso();
    t.state = next;
    this.store.saveOrder(next, t.permId);
    if (emit && moved) this.ctx.emit('orderStatus', cloneState(next));
    for (const c of [...t.changed]) c();
  }

  private idFor(orderId: number, permId: number | null): string {
    if (orderId > 0) return String(orderId);
    // Orders placed outside the API carry order id 0: their permId identifies them.
    const byPerm = [...this.tracked.values()].find((t) => permId !== null && t.permId === permId);
    return byPerm?.state.orderId ?? `p${permId ?? 0}`;
  }

  private onOpenOrder(orderId: number, ibContract: IbContract, order: IbOrder, orderState: unknown): void {
    const whatIf = this.whatIfs.get(orderId);
    if (whatIf || (isRecord(order) && order.whatIf === true)) {
      whatIf?.resolve(orderState);
      return;
    }
    const permId = num(order.permId);
    const id = this.idFor(orderId, permId);
    let t = this.tracked.get(id);
    if (!t) {
      const contract = this.contracts.known(num(ibContract.conId) ?? 0) ?? fromContractDetails({ contract: ibContract, minTick: 0.01 });
      const spec = contract ? ibOrderToSpec(contract, order) : null;
      if (!contract || !spec) {
        this.ctx.log.warn({ orderId: id }, 'open order at IBKR that cannot be represented; ignored');
        return;
      }
      t = this.track(
        {
          orderId: id, parentOrderId: (num(order.parentId) ?? 0) > 0 ? String(order.parentId) : null, role: 'ENTRY', accountId: str(order.account),
          orderRef: str(order.orderRef) || null, conId: contract.conId, spec, status: 'SUBMITTED', filledQuantity: num(order.filledQuantity) ?? 0,
          remainingQuantity: spec.quantity - (num(order.filledQuantity) ?? 0), avgFillPrice: null, commission: null, message: 'Found at IBKR', updatedAt: this.ctx.nowIso(),
        },
        permId,
      );
    }
    if (permId !== null) t.permId = permId;
    this.openCollector?.ids.add(id);
    const tws = isRecord(orderState) ? str(orderState.status) : '';
    const status = mapStatus(tws, t.state.filledQuantity, t.state.remainingQuantity);
    const account = str(order.account);
    this.update(id, { ...(status ? { status } : {}), ...(account ? { accountId: account } : {}) });
    t.acked?.();
  }

  private onOrderStatus(orderId: number, tws: string, filled: number, remaining: number, avgFillPrice: number | null, permId: number | null): void {
    const id = this.idFor(orderId, permId);
    const t = this.tracked.get(id);
    if (!t) return;
    if (permId !== null && permId > 0) t.permId = permId;
    const status = mapStatus(tws, filled, remaining);
    const patch: Partial<BrokerOrderState> = { filledQuantity: Math.max(t.state.filledQuantity, filled), remainingQuantity: remaining };
    if (avgFillPrice !== null && avgFillPrice > 0) patch.avgFillPrice = avgFillPrice;
    if (status) patch.status = status;
    if (status === 'REJECTED' && !t.state.message) patch.message = 'Inactive at IBKR (rejected or not accepted by the exchange)';
    this.update(id, patch);
    t.acked?.();
  }

  /** Errors TWS sent with an order id (or a what-if's id). */
  private onOrderError(id: number, code: number, message: string): void {
    const whatIf = this.whatIfs.get(id);
    const info = classify(code, message);
    if (whatIf) {
      if (info.severity === 'fatal') whatIf.reject(ibkrError(code, message, { orderId: String(id) }));
      return;
    }
    const t = this.tracked.get(String(id));
    if (!t) {
      this.ctx.log.warn({ id, code, message }, 'tws error for an unknown id');
      return;
    }
    if (info.action === 'orderRejected' || (info.severity === 'fatal' && t.state.status === 'PENDING_SUBMIT' && code !== 10147 && code !== 10148)) {
      this.update(t.state.orderId, { status: 'REJECTED', message: `${message} (IBKR ${code})` });
    } else if (info.action === 'orderCancelled') {
      this.update(t.state.orderId, { status: t.state.filledQuantity > 0 && t.state.filledQuantity >= t.state.spec.quantity ? 'FILLED' : 'CANCELLED', message: t.state.message ?? 'Cancelled' });
    } else if (code === 10147 || code === 10148) {
      this.update(t.state.orderId, { message: `Cancel refused: ${message} (IBKR ${code})` });
    } else {
      this.update(t.state.orderId, { message: `${message} (IBKR ${code})` });
    }
    t.acked?.();
  }

  private onExecution(reqId: number, ibContract: IbContract, execution: unknown): void {
    if (!isRecord(execution)) return;
    const execId = str(execution.execId);
    if (!execId) return;
    const permId = num(execution.permId);
    const orderId = this.idFor(num(execution.orderId) ?? 0, permId);
    const collector = this.execCollectors.get(reqId);
    if (collector) collector.ids.push(execId);
    if (this.store.hasFill(execId) || this.pendingExecs.has(execId)) return;
    const ms = parseTwsTime(str(execution.time));
    const side = str(execution.side).toUpperCase();
    const quantity = num(execution.shares) ?? 0;
    const price = num(execution.price) ?? 0;
    if (quantity <= 0) return;
    void ibContract;
    const pending: PendingExec = {
      fill: {
        execId,
        orderId,
        time: new Date(ms ?? this.ctx.clock.now()).toISOString(),
        side: side === 'BOT' || side === 'BUY' ? 'BUY' : 'SELL',
        quantity,
        price,
        exchange: str(execution.exchange) || null,
      },
      account: str(execution.acctNumber) || null,
      timer: null,
    };
    this.pendingExecs.set(execId, pending);
    if (this.commissions.has(execId)) this.finishExec(execId);
    else {
      // Commission reports can lag (or never come for some venues): report the fill without one rather than never.
      pending.timer = setTimeout(() => this.finishExec(execId), COMMISSION_WAIT_MS);
      pending.timer.unref();
    }
  }

  private onCommission(report: unknown): void {
    if (!isRecord(report)) return;
    const execId = str(report.execId);
    if (!execId) return;
    this.commissions.set(execId, { commission: num(report.commission) ?? 0, currency: str(report.currency) || 'USD', realized: num(report.realizedPNL) });
    if (this.pendingExecs.has(execId)) this.finishExec(execId);
  }

  private finishExec(execId: string): void {
    const p = this.pendingExecs.get(execId);
    if (!p) return;
    if (p.timer) clearTimeout(p.timer);
    this.pendingExecs.delete(execId);
    const c = this.commissions.get(execId);
    this.commissions.delete(execId);
    const fill: Fill = { ...p.fill, commission: toCents(c?.commission ?? 0), commissionCurrency: c?.currency ?? 'USD', realizedPnl: c?.realized === null || c?.realized === undefined ? null : toCents(c.realized) };
    if (this.store.hasFill(execId)) return;
    this.store.addFill(fill, p.account);
    const t = this.tracked.get(fill.orderId);
    if (t) {
      const fills = this.store.fillsOf(fill.orderId);
      const qty = fills.reduce((q, f) => q + f.quantity, 0);
      const value = fills.reduce((v, f) => v + f.quantity * f.price, 0);
      const commission = toCents(fills.reduce((s, f) => s + f.commission, 0));
      const patch: Partial<BrokerOrderState> = { commission };
      // Executions may run ahead of orderStatus (or be all we hear, after a reconnect): never let the state lag them.
      if (qty > t.state.filledQuantity) {
        patch.filledQuantity = qty;
        patch.remainingQuantity = Math.max(0, t.state.spec.quantity - qty);
        patch.avgFillPrice = Number((value / qty).toFixed(6));
        patch.status = qty >= t.state.spec.quantity ? 'FILLED' : 'PARTIALLY_FILLED';
      }
      this.update(fill.orderId, patch);
    }
    this.ctx.emit('fill', { ...fill });
  }

  /**
   * After a reconnect: orders we think are working that TWS no longer lists and
   * whose executions do not fill them ended while we were away. IBKR lists every
   * working order in reqAllOpenOrders, so an acknowledged order missing from it
   * is finished; an order never acknowledged stays as it is (the core's UNKNOWN).
   */
  settleMissing(open: Set<string>, completed: Map<string, Completion> = new Map()): void {
    for (const t of [...this.tracked.values()]) {
      const s = t.state;
      if (TERMINAL_STATUSES.has(s.status) || open.has(s.orderId)) continue;
      const done = completed.get(s.orderId);
      if (done) {
        // IBKR says how it ended: its true final status, not a guess.
        const patch: Partial<BrokerOrderState> = { status: done.status, message: `Ended at IBKR while disconnected: ${done.completedStatus || done.status} (completed orders, at reconciliation)` };
        if (done.status === 'FILLED') {
          patch.filledQuantity = Math.max(s.filledQuantity, done.filledQuantity, s.spec.quantity);
          patch.remainingQuantity = 0;
        }
        this.update(s.orderId, patch);
        continue;
      }
      if (s.status === 'PENDING_SUBMIT' || s.status === 'UNKNOWN') {
        this.update(s.orderId, { message: 'Not found among IBKR open orders or executions at reconciliation; not resent' });
        continue;
      }
      const status: OrderStatus = s.filledQuantity >= s.spec.quantity ? 'FILLED' : 'CANCELLED';
      this.update(s.orderId, { status, message: status === 'FILLED' ? s.message : 'No longer working at IBKR (ended while disconnected; found at reconciliation)' });
    }
  }

  lastFillTime(): string | null {
    return this.store.lastFillTime();
  }
}
