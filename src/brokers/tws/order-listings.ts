/**
 * What TWS lists on request: every working order (reqAllOpenOrders, whose
 * openOrder messages the order events apply to the book; this collects the ids)
 * and how orders that ended did end (reqCompletedOrders). One listing of each
 * kind runs at a time: TWS's answers carry no request id to tell two apart.
 */
import { EventName, type Contract as IbContract, type Order as IbOrder } from '@stoqey/ib';
import { TERMINAL_STATUSES, type OrderStatus } from '../../core/models.js';
import type { BrokerOrderState, OpenOrdersQuery } from '../../core/broker/port.js';
import type { TwsContext } from './context.js';
import { cloneState, type OrderBook, type TrackedOrder } from './order-book.js';
import { isRecord, mapCompleted, num, str } from './wire.js';

/** How an order ended at IBKR, from reqCompletedOrders. */
export interface Completion {
  status: OrderStatus;
  completedStatus: string;
  filledQuantity: number;
}

/** How long a renewal of the listing waits for the order that asked for it (renewInBackground). */
export const RENEWAL_DEFER_MS = 20;

export class OrderListings {
  private openCollector: { ids: Set<string>; done: () => void } | null = null;
  private openLock: Promise<unknown> = Promise.resolve();
  /**
   * The ids of the last finished listing, with the wall time it was asked for,
   * plus every order of ours placed or heard of since (our own orders reach us
   * without asking: TWS sends openOrder/orderStatus to the client that placed them).
   */
  private lastListing: { ids: Set<string>; askedAt: number } | null = null;
  private refreshing = false;
  /** A renewal waiting for the order whose checks asked for it to go out first (or for RENEWAL_DEFER_MS). */
  private deferredRenewal: ReturnType<typeof setTimeout> | null = null;
  private completedCollector: { found: Map<string, Completion>; done: () => void } | null = null;
  private completedLock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: TwsContext,
    private readonly book: OrderBook,
  ) {
    ctx.conn.bind((ib) => {
      ib.on(EventName.openOrderEnd, () => this.openCollector?.done());
      ib.on(EventName.completedOrder, (contract: IbContract, order: IbOrder, orderState: unknown) => this.onCompletedOrder(contract, order, orderState));
      ib.on(EventName.completedOrdersEnd, () => this.completedCollector?.done());
    });
  }

  /** An openOrder for one of ours arrived: part of the listing in progress, if any. */
  noteOpen(orderId: string): void {
    this.openCollector?.ids.add(orderId);
    this.lastListing?.ids.add(orderId);
  }

  /** Orders of ours about to be sent: working from now on, whatever listing is remembered. */
  notePlaced(orderIds: readonly string[]): void {
    for (const id of orderIds) this.lastListing?.ids.add(id);
  }

  /** reqAllOpenOrders: updates every order TWS lists; returns the ids it listed. */
  async syncOpenOrders(): Promise<Set<string>> {
    const turn = this.openLock.catch(() => undefined).then(async () => {
      const { conn, requestTimeoutMs } = this.ctx;
      const req = conn.registry.start<Set<string>>('open orders', { timeoutMs: requestTimeoutMs, onSettle: () => (this.openCollector = null) });
      const ids = new Set<string>();
      const askedAt = Date.now();
      this.openCollector = { ids, done: () => req.resolve(ids) };
      await conn.send('reqAllOpenOrders', (ib) => ib.reqAllOpenOrders()).catch((err: Error) => req.reject(err));
      const listed = await req.promise;
      this.lastListing = { ids: new Set(listed), askedAt };
      return listed;
    });
    this.openLock = turn;
    return turn;
  }

  /**
   * Every working order. With `maxAgeMs`, a listing asked for at most that long
   * ago is used (and one older than half of it is renewed in the background, so
   * a steady stream of orders never waits for it): orders of ours are current
   * (TWS pushes their every change to us), orders of other clients (TWS itself,
   * other API clients, another gateway) are as that listing saw them. Without
   * it, TWS is asked now.
   */
  async openOrders(options: OpenOrdersQuery = {}): Promise<BrokerOrderState[]> {
    const { maxAgeMs } = options;
    const last = this.lastListing;
    const age = last === null ? Infinity : Date.now() - last.askedAt;
    let ids: Set<string>;
    if (maxAgeMs !== undefined && last !== null && age <= maxAgeMs) {
      if (age > maxAgeMs / 2) this.renewInBackground();
      ids = last.ids;
    } else {
      ids = await this.syncOpenOrders();
    }
    return [...ids]
      .map((id) => this.book.find(id))
      .filter((t): t is TrackedOrder => t !== undefined && !TERMINAL_STATUSES.has(t.state.status))
      .map((t) => cloneState(t.state));
  }

  /**
   * Not sent at once: the caller is nearly always an order's risk checks, and a message written then wakes TWS to
   * answer it (every working order, then openOrderEnd) while that order is still before its audit row and its own
   * message. It goes out right behind the next order placed (ordersPlaced), or RENEWAL_DEFER_MS from now when no
   * order follows (refused by the checks, or a read of its own); the listing it replaces is still within its age.
   */
  private renewInBackground(): void {
    if (this.refreshing) return;
    this.refreshing = true;
    this.deferredRenewal = setTimeout(() => this.renewNow(), RENEWAL_DEFER_MS);
    this.deferredRenewal.unref();
  }

  /** An order's message has been handed to the pacer: a renewal its checks asked for may follow it now. */
  orderSent(): void {
    if (this.deferredRenewal) this.renewNow();
  }

  private renewNow(): void {
    if (this.deferredRenewal) clearTimeout(this.deferredRenewal);
    this.deferredRenewal = null;
    void this.syncOpenOrders()
      .catch((err: unknown) => this.ctx.log.warn({ err }, 'open-order listing not renewed'))
      .finally(() => (this.refreshing = false));
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
    let t = this.book.findByPermId(num(order.permId));
    if (!t) {
      const tracked = this.book.entries();
      const ref = str(order.orderRef);
      const conId = num(ibContract.conId);
      const action = str(order.action).toUpperCase() === 'BUY' ? 'BUY' : 'SELL';
      const quantity = num(order.totalQuantity);
      const candidates = ref
        ? tracked.filter((x) => !TERMINAL_STATUSES.has(x.state.status) && x.state.orderRef === ref && x.state.conId === conId && x.state.spec.action === action && x.state.spec.quantity === quantity)
        : [];
      if (candidates.length === 1) t = candidates[0];
    }
    if (t) collector.found.set(t.state.orderId, { status, completedStatus, filledQuantity: num(order.filledQuantity) ?? 0 });
  }
}
