/**
 * The orders this adapter knows, by our order id: their last known state, the
 * permId IBKR gave them, and who is waiting for them to move. Every change goes
 * through update(), which keeps finished orders finished, persists the state
 * (OrderStore) and emits orderStatus when something a listener cares about moved.
 */
import { TERMINAL_STATUSES } from '../../core/models.js';
import type { OrderSpec } from '../../core/models.js';
import type { BrokerOrderState } from '../../core/broker/port.js';
import type { TwsContext } from './context.js';
import type { OrderStore } from './order-store.js';

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

export const cloneState = (s: BrokerOrderState): BrokerOrderState => ({ ...s, spec: { ...s.spec } });

export class OrderBook {
  private readonly tracked = new Map<string, TrackedOrder>();
  /** Bracket children by their entry's id, so an acknowledgement does not scan every order ever tracked. */
  private readonly children = new Map<string, Set<string>>();
  /**
   * Orders by IBKR's permId: orders placed outside the API (order id 0) and completed orders are matched by
   * it, and every order ever tracked is loaded at start, so a scan per message grew with the history.
   */
  private readonly byPermId = new Map<number, TrackedOrder>();

  constructor(
    private readonly ctx: TwsContext,
    private readonly store: OrderStore,
  ) {
    for (const { state, permId } of store.orders()) {
      const t: TrackedOrder = { state, permId, acked: null, changed: [], modifying: null };
      this.tracked.set(state.orderId, t);
      this.noteParent(state);
      this.notePermId(t, permId);
    }
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
    return this.tracked.has(orderId);
  }

  find(orderId: string): TrackedOrder | undefined {
    return this.tracked.get(orderId);
  }

  /** A snapshot of every tracked order (safe to iterate while updating). */
  entries(): TrackedOrder[] {
    return [...this.tracked.values()];
  }

  get(orderId: string): BrokerOrderState | null {
    const t = this.tracked.get(orderId);
    return t ? cloneState(t.state) : null;
  }

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
    const t = this.tracked.get(orderId);
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
    const t = permId !== null && permId > 0 ? this.byPermId.get(permId) : undefined;
    // An order whose permId has since changed is no longer known by the old one.
    return t?.permId === permId ? t : undefined;
  }

  /** Our id for an order TWS reports: its order id, or (placed outside the API, order id 0) the order with its permId. */
  idFor(orderId: number, permId: number | null): string {
    if (orderId > 0) return String(orderId);
    return this.findByPermId(permId)?.state.orderId ?? `p${permId ?? 0}`;
  }
}
