/**
 * Orders at IBKR, assembled from one part per concept: the book of tracked
 * orders (order-book), id allocation (order-ids), placing (order-placement), modifying (order-modify),
 * what-if previews (what-if), cancels (order-cancel), what TWS says about
 * orders (order-events), open/completed order listings (order-listings) and
 * executions paired with their commissions (executions). Reconciliation
 * (reconcile.ts) drives the listings and the book after every handshake.
 */
import type { Contract, Fill, OrderSpec } from '../../core/models.js';
import type { BrokerOrderState, ExecutionsQuery, OpenOrdersQuery, ModifyOrderAck, ModifyOrderRequest, PlaceOrderAck, PlaceOrderRequest, WhatIfResult } from '../../core/broker/port.js';
import { BrokerConnectionError } from '../../core/errors.js';
import type { TwsContext } from './context.js';
import type { Contracts } from './contracts.js';
import { Executions } from './executions.js';
import { OrderBook } from './order-book.js';
import { cancelOrder } from './order-cancel.js';
import { OrderEvents } from './order-events.js';
import { OrderIds } from './order-ids.js';
import { OrderListings } from './order-listings.js';
import { modifyOrder } from './order-modify.js';
import { OrderPlacement } from './order-placement.js';
import type { OrderStore } from './order-store.js';
import { WhatIfs } from './what-if.js';

export class Orders {
  readonly book: OrderBook;
  readonly ids: OrderIds;
  readonly listings: OrderListings;
  readonly executions: Executions;
  private readonly whatIfs: WhatIfs;
  private readonly placement: OrderPlacement;

  constructor(
    private readonly ctx: TwsContext,
    store: OrderStore,
    contracts: Contracts,
    onLostAck: (orderId: string) => void,
  ) {
    this.book = new OrderBook(ctx, store);
    this.ids = new OrderIds(ctx, store);
    this.listings = new OrderListings(ctx, this.book);
    this.whatIfs = new WhatIfs(ctx, this.ids);
    new OrderEvents(ctx, this.book, contracts, this.whatIfs, this.listings);
    this.executions = new Executions(ctx, store, this.book);
    this.placement = new OrderPlacement(ctx, this.book, this.ids, onLostAck);
  }

  allocate(count: number): string[] {
    return this.ids.allocate(count);
  }

  idFloor(): number {
    return this.ids.floor();
  }

  get(orderId: string): BrokerOrderState | null {
    return this.book.get(orderId);
  }

  openOrders(options?: OpenOrdersQuery): Promise<BrokerOrderState[]> {
    return this.listings.openOrders(options);
  }

  listExecutions(query?: ExecutionsQuery): Promise<Fill[]> {
    return this.executions.list(query);
  }

  place(request: PlaceOrderRequest): Promise<PlaceOrderAck> {
    const { orderId, takeProfitOrderId, stopLossOrderId } = request.ids;
    this.listings.notePlaced([orderId, takeProfitOrderId, stopLossOrderId].filter((id): id is string => id !== undefined));
    // place() writes the entry's message before its first await (when the pacer lets it): a renewal of the listing
    // asked for by this order's checks is queued behind it, not ahead (OrderListings.renewInBackground).
    const placed = this.placement.place(request);
    this.listings.orderSent();
    return placed;
  }

  whatIf(contract: Contract, spec: OrderSpec, accountId: string): Promise<WhatIfResult> {
    return this.whatIfs.preview(contract, spec, accountId);
  }

  modify(request: ModifyOrderRequest): Promise<ModifyOrderAck> {
    return modifyOrder(this.ctx, this.book, request);
  }

  cancel(orderId: string): Promise<BrokerOrderState> {
    return cancelOrder(this.ctx, this.book, orderId);
  }

  /** reqGlobalCancel: IBKR cancels every open order of the account, whoever placed it; the statuses arrive as events. */
  async globalCancel(): Promise<void> {
    if (!this.ctx.conn.usable) throw new BrokerConnectionError(`IB Gateway/TWS is ${this.ctx.conn.state}; the global cancel was not sent`);
    await this.ctx.conn.send('reqGlobalCancel', (ib) => ib.reqGlobalCancel());
  }
}
