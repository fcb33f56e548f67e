/**
 * The orders this adapter knows, by our order id: their last known state, the
 * permId IBKR gave them, and who is waiting for them to move. Every change goes
 * through update(), which keeps finished orders finished, persists the state
 * (OrderStore) and emits orderStatus when something a listener cares about moved.
 *
 * At start it holds the orders still working in tws-orders.db, not every order
 * ever kept: 100,000 finished orders took 681 ms and 46.7 MB of heap to load,
 * and take about 1 ms and 0.1 MB now (2026-12-05); a busy account reaches that
 * many in weeks. A finished order
 * from an earlier session is read from the file when it is asked for (by our
 * id, or by the permId IBKR names it with: a late execution or commission, a
 * completed-orders report, getOrder) and held from then on, so everything
 * asked for by id finds what it found before.
 */
import { TERMINAL_STATUSES } from '../../core/models.js';
import type { OrderSpec } from '../../core/models.js';
import type { BrokerOrderState } from '../../core/broker/port.js';
import type { TwsContext } from './context.js';
import { cloneState, type KeptOrder, type OrderStore } from './order-store.js';

export { cloneState };

export interface TrackedOrder {
  state: BrokerOrderState;
  permId: number | null;
  /** Settles placeOrder's wait for the first word from TWS about this order. */
  acked: (() => void) | null;
  /** Called after every change (cancel waits on these). */
  changed: (() => void)[];
  /** A modification sent and not yet answered (order-modify.ts); at most one at a time. */
  modifying: PendingModify | null;
}

export interface PendingModify {
  spec: OrderSpec;
  settle: (answer: { accepted: boolean; message: string | null }) => void;
}

export class OrderBook {
  private readonly tracked = new Map<string, TrackedOrder>();
  /** Bracket children by their entry's id, so an acknowledgement does not scan every order ever tracked. */
  private readonly children = new Map<string, Set<string>>();
  /**
   * Orders by IBKR's permId: orders placed outside the API (order id 0) and completed orders are matched by
   * it without a scan of the orders held.
   */
  private readonly byPermId = new Map<number, TrackedOrder>();

  constructor(
    private readonly ctx: TwsContext,
    private readonly store: OrderStore,
  ) {
    for (const kept of store.workingOrders()) this.hold(kept);
  }

  /** Holds a kept order (working at start, or read from the file when asked for). */
  private hold({ state, permId }: KeptOrder): TrackedOrder {
    const t: TrackedOrder = { state, permId, acked: null, changed: [], modifying: null };
    this.tracked.set(state.orderId, t);
    this.noteParent(state);
    this.notePermId(t, permId);
    return t;
  }

  /** Several writes to tws-orders.db as one commit. */
  transaction(fn: () => void): void {
    this.store.transaction(fn);
  }

  private noteParent(state: BrokerOrderState): void {
    if (state.parentOrderId === null) return;
    const set = this.children.get(state.parentOrderId) ?? new Set<string>();
    set.add(state.orderId);
    this.children.set(state.parentOrderId, set);
  }

  has(orderId: string): boolean {
    return this.find(orderId) !== undefined;
  }

  /** The order with our id: held, or a finished one read from tws-orders.db (and held from then on). */
  find(orderId: string): TrackedOrder | undefined {
    const t = this.tracked.get(orderId);
    if (t) return t;
    const kept = this.store.order(orderId);
    return kept ? this.hold(kept) : undefined;
  }

  /**
   * A snapshot of the orders held (safe to iterate while updating): every order working at start and every
   * order seen since. Finished orders of earlier sessions are not in it; its readers look for working ones.
   */
  entries(): TrackedOrder[] {
    return [...this.tracked.values()];
  }

  get(orderId: string): BrokerOrderState | null {
    const t = this.find(orderId);
    return t ? cloneState(t.state) : null;
  }

  /** The bracket legs held under this entry (asked right after placing, when all of them are). */
  childrenOf(orderId: string): BrokerOrderState[] {
    const out: BrokerOrderState[] = [];
    for (const id of this.children.get(orderId) ?? []) {
      const t = this.tracked.get(id);
      if (t && t.state.parentOrderId === orderId) out.push(cloneState(t.state));
    }
    return out;
  }

  track(state: BrokerOrderState, permId: number | null): TrackedOrder {
    const t: TrackedOrder = { state, permId, acked: null, changed: [], modifying: null };
    this.tracked.set(state.orderId, t);
    this.noteParent(state);
    this.notePermId(t, permId);
    this.store.saveOrder(state, permId);
    return t;
  }

  /** Applies a change; emits orderStatus when something a listener cares about moved. */
  update(orderId: string, patch: Partial<BrokerOrderState>, emit = true): void {
    const t = this.find(orderId);
    if (!t) return;
    const before = t.state;
    const next: BrokerOrderState = { ...before, ...patch };
    // A finished order stays finished; only the fill details of a FILLED order may still be completed.
    if (TERMINAL_STATUSES.has(before.status) && patch.status !== undefined && patch.status !== before.status) {
      if (!(patch.status === 'FILLED' && before.status !== 'REJECTED')) next.status = before.status;
    }
    const moved =
      next.status !== before.status || next.filledQuantity !== before.filledQuantity || next.message !== before.message || next.avgFillPrice !== before.avgFillPrice || next.spec !== before.spec;
    if (!moved && next.accountId === before.accountId) return;
    next.updatedAt = this.ctx.nowIso();
    t.state = next;
    if (next.parentOrderId !== before.parentOrderId) this.noteParent(next);
    this.store.saveOrder(next, t.permId);
    if (emit && moved) this.ctx.emit('orderStatus', cloneState(next));
    for (const c of [...t.changed]) c();
  }

  /** Records the permId IBKR gave an order (kept on the order; persisted with its next change). */
  notePermId(t: TrackedOrder, permId: number | null): void {
    if (permId === null) return;
    t.permId = permId;
    if (permId > 0) this.byPermId.set(permId, t);
  }

  /** The order IBKR knows by this permId, if tracked. */
  findByPermId(permId: number | null): TrackedOrder | undefined {
    if (permId === null || permId <= 0) return undefined;
    const t = this.byPermId.get(permId) ?? this.keptByPermId(permId);
    // An order whose permId has since changed is no longer known by the old one.
    return t?.permId === permId ? t : undefined;
  }

  /** A finished order of an earlier session that IBKR names by its permId, read from tws-orders.db. */
  private keptByPermId(permId: number): TrackedOrder | undefined {
    const kept = this.store.orderByPermId(permId);
    if (!kept) return undefined;
    // Held already under our id (its permId since changed in memory): the held one is the truth.
    return this.tracked.get(kept.state.orderId) ?? this.hold(kept);
  }

  /** Our id for an order TWS reports: its order id, or (placed outside the API, order id 0) the order with its permId. */
  idFor(orderId: number, permId: number | null): string {
    if (orderId > 0) return String(orderId);
    return this.findByPermId(permId)?.state.orderId ?? `p${permId ?? 0}`;
  }
}
