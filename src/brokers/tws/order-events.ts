/**
 * What TWS says about orders, applied to the book: openOrder (also how orders
 * placed elsewhere become known), orderStatus, and errors sent with an order
 * id. Each of them settles placeOrder's wait for the first word about an order.
 * What-if answers arrive as openOrder/errors too and go to the what-if previews.
 */
import { EventName, type Contract as IbContract, type Order as IbOrder } from '@stoqey/ib';
import type { BrokerOrderState } from '../../core/broker/port.js';
import { classify } from '../../ibkr/error-codes.js';
import type { TwsContext } from './context.js';
import type { Contracts } from './contracts.js';
import type { OrderBook } from './order-book.js';
import type { OrderListings } from './order-listings.js';
import { showsModification } from './order-modify.js';
import type { WhatIfs } from './what-if.js';
import { fromContractDetails, ibOrderToSpec, isRecord, mapStatus, num, str } from './wire.js';

/** IBKR's "cancel refused" codes: the order is still working. */
const CANCEL_REFUSED = new Set([10147, 10148]);
/** "Unable to modify this order as it is still being processed": a warning-band code that refuses a modification. */
const MODIFY_IN_PROGRESS = 2102;

export class OrderEvents {
  constructor(
    private readonly ctx: TwsContext,
    private readonly book: OrderBook,
    private readonly contracts: Contracts,
    private readonly whatIfs: WhatIfs,
    private readonly listings: OrderListings,
  ) {
    ctx.conn.bind((ib) => {
      ib.on(EventName.openOrder, (orderId: number, contract: IbContract, order: IbOrder, orderState: unknown) => this.onOpenOrder(orderId, contract, order, orderState));
      ib.on(EventName.orderStatus, (orderId: number, status: unknown, filled: unknown, remaining: unknown, avgFillPrice: unknown, permId: unknown) =>
        this.onOrderStatus(orderId, str(status), num(filled) ?? 0, num(remaining) ?? 0, num(avgFillPrice), num(permId)),
      );
    });
    ctx.conn.onOrphanError((id, code, message) => this.onOrderError(id, code, message));
  }

  private onOpenOrder(orderId: number, ibContract: IbContract, order: IbOrder, orderState: unknown): void {
    if (this.whatIfs.answer(orderId, orderState) || (isRecord(order) && order.whatIf === true)) return;
    const permId = num(order.permId);
    const id = this.book.idFor(orderId, permId);
    let t = this.book.find(id);
    if (!t) {
      const contract = this.contracts.known(num(ibContract.conId) ?? 0) ?? fromContractDetails({ contract: ibContract, minTick: 0.01 });
      const spec = contract ? ibOrderToSpec(contract, order) : null;
      if (!contract || !spec) {
        this.ctx.log.warn({ orderId: id }, 'open order at IBKR that cannot be represented; ignored');
        return;
      }
      t = this.book.track(
        {
          orderId: id, parentOrderId: (num(order.parentId) ?? 0) > 0 ? String(order.parentId) : null, role: 'ENTRY', accountId: str(order.account),
          orderRef: str(order.orderRef) || null, conId: contract.conId, spec, status: 'SUBMITTED', filledQuantity: num(order.filledQuantity) ?? 0,
          remainingQuantity: spec.quantity - (num(order.filledQuantity) ?? 0), avgFillPrice: null, commission: null, message: 'Found at IBKR', updatedAt: this.ctx.nowIso(),
        },
        permId,
      );
    }
    this.book.notePermId(t, permId);
    this.listings.noteOpen(id);
    const tws = isRecord(orderState) ? str(orderState.status) : '';
    const status = mapStatus(tws, t.state.filledQuantity, t.state.remainingQuantity);
    const account = str(order.account);
    // The answer to a modification: openOrder with the new terms.
    const modified = showsModification(t, order);
    const amended = modified ? { spec: modified, remainingQuantity: Math.max(0, modified.quantity - t.state.filledQuantity), message: 'Modified by request' } : {};
    this.book.update(id, { ...(status ? { status } : {}), ...(account ? { accountId: account } : {}), ...amended });
    if (modified) {
      const pending = t.modifying;
      t.modifying = null;
      pending?.settle({ accepted: true, message: 'Order modified' });
    }
    t.acked?.();
  }

  private onOrderStatus(orderId: number, tws: string, filled: number, remaining: number, avgFillPrice: number | null, permId: number | null): void {
    const id = this.book.idFor(orderId, permId);
    const t = this.book.find(id);
    if (!t) return;
    if (permId !== null && permId > 0) this.book.notePermId(t, permId);
    const status = mapStatus(tws, filled, remaining);
    const patch: Partial<BrokerOrderState> = { filledQuantity: Math.max(t.state.filledQuantity, filled), remainingQuantity: remaining };
    if (avgFillPrice !== null && avgFillPrice > 0) patch.avgFillPrice = avgFillPrice;
    if (status) patch.status = status;
    if (status === 'REJECTED' && !t.state.message) patch.message = 'Inactive at IBKR (rejected or not accepted by the exchange)';
    this.book.update(id, patch);
    t.acked?.();
  }

  /** Errors TWS sent with an order id (or a what-if's id). */
  private onOrderError(id: number, code: number, message: string): void {
    if (this.whatIfs.fail(id, code, message)) return;
    const t = this.book.find(String(id));
    if (!t) {
      this.ctx.log.warn({ id, code, message }, 'tws error for an unknown id');
      return;
    }
    const info = classify(code, message);
    const s = t.state;
    const pending = t.modifying;
    if (pending && (info.severity === 'fatal' || code === MODIFY_IN_PROGRESS)) {
      // A refused modification: the order works on as it was (or has finished, as its own status says).
      t.modifying = null;
      this.book.update(s.orderId, { message: `Modification refused: ${message} (IBKR ${code})` });
      pending.settle({ accepted: false, message: `${message} (IBKR ${code})` });
      return;
    }
    if (info.action === 'orderRejected' || (info.severity === 'fatal' && s.status === 'PENDING_SUBMIT' && !CANCEL_REFUSED.has(code))) {
      this.book.update(s.orderId, { status: 'REJECTED', message: `${message} (IBKR ${code})` });
    } else if (info.action === 'orderCancelled') {
      this.book.update(s.orderId, { status: s.filledQuantity > 0 && s.filledQuantity >= s.spec.quantity ? 'FILLED' : 'CANCELLED', message: s.message ?? 'Cancelled' });
    } else if (CANCEL_REFUSED.has(code)) {
      this.book.update(s.orderId, { message: `Cancel refused: ${message} (IBKR ${code})` });
    } else {
      this.book.update(s.orderId, { message: `${message} (IBKR ${code})` });
    }
    t.acked?.();
  }
}
