/**
 * A list of orders kept current by the order feed: loaded once from the REST
 * API, then changed by each order event. Copies arrive from two sources that
 * race (the list request and the stream, which may replay what the list
 * already holds), so the newest version of an order always wins, and an
 * order the stream brought while the list was loading is not dropped by the
 * (older) list.
 */
import type { OrderDetail } from './types.js';

export class LiveOrders {
  /** The newest copy of every order seen, shown or not (a finished order must not come back with an older list). */
  private readonly newest = new Map<string, OrderDetail>();
  private readonly shown = new Map<string, OrderDetail>();
  /** Orders the stream changed since the current list request started. */
  private readonly touched = new Set<string>();

  /** `belongs`: whether an order (its newest copy) is in this list: the open orders, or a filter's matches. */
  constructor(private belongs: (order: OrderDetail) => boolean) {}

  /** Call before requesting the list; `belongs` may change with it (a new filter). */
  beginLoad(belongs?: (order: OrderDetail) => boolean): void {
    if (belongs) this.belongs = belongs;
    this.touched.clear();
  }

  /** The list as the API returned it, merged with what the stream brought meanwhile. */
  loaded(orders: OrderDetail[]): void {
    this.shown.clear();
    for (const order of orders) this.consider(this.keepNewest(order));
    for (const id of this.touched) {
      const order = this.newest.get(id);
      if (order) this.consider(order);
    }
  }

  /** One order as an event left it; true when the list changed. */
  apply(order: OrderDetail): boolean {
    const before = this.shown.get(order.orderId);
    const newest = this.keepNewest(order);
    this.touched.add(order.orderId);
    if (newest !== order) return false;
    this.shown.delete(order.orderId);
    this.consider(order);
    return before !== undefined || this.shown.has(order.orderId);
  }

  has(orderId: string): boolean {
    return this.shown.has(orderId);
  }

  get(orderId: string): OrderDetail | undefined {
    return this.shown.get(orderId);
  }

  /** Newest order first, as the API lists them; at most `limit`. */
  list(limit = Number.POSITIVE_INFINITY): OrderDetail[] {
    return [...this.shown.values()]
      .sort((a, b) => (a.createdAt === b.createdAt ? compareIds(b.orderId, a.orderId) : a.createdAt < b.createdAt ? 1 : -1))
      .slice(0, limit);
  }

  private keepNewest(order: OrderDetail): OrderDetail {
    const known = this.newest.get(order.orderId);
    if (known && known.version > order.version) return known;
    this.newest.set(order.orderId, order);
    return order;
  }

  private consider(order: OrderDetail): void {
    if (this.belongs(order)) this.shown.set(order.orderId, order);
    else this.shown.delete(order.orderId);
  }
}

/** Numeric ids in number order (9 before 10), others as text. */
function compareIds(a: string, b: string): number {
  return /^\d+$/.test(a) && /^\d+$/.test(b) ? Number(a) - Number(b) : a.localeCompare(b);
}
