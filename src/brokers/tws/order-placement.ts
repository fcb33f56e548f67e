/**
 * Placing an order: the entry and its bracket children are tracked (and their
 * ids persisted) before anything is sent, each leg goes out with placeOrder
 * (orderRef carrying our reference), and the call waits for the first word from
 * TWS about the entry.
 *
 * An order whose acknowledgement does not arrive stays PENDING_SUBMIT: it is
 * never sent again; the adapter looks for it among the open orders and
 * executions, and the core marks it UNKNOWN until reconciliation settles it.
 */
import type { Order as IbOrder } from '@stoqey/ib';
import { BrokerConnectionError, GatewayError } from '../../core/errors.js';
import type { OrderSpec } from '../../core/models.js';
import type { BrokerOrderState, PlaceOrderAck, PlaceOrderRequest } from '../../core/broker/port.js';
import type { TwsContext } from './context.js';
import type { OrderBook } from './order-book.js';
import type { OrderIds } from './order-ids.js';
import { specToIbOrder, toIbContract } from './wire.js';

interface Leg {
  state: BrokerOrderState;
  order: IbOrder;
}

export class OrderPlacement {
  constructor(
    private readonly ctx: TwsContext,
    private readonly book: OrderBook,
    private readonly ids: OrderIds,
    /** The acknowledgement did not come in time: look for the order (never resend it). */
    private readonly onLostAck: (orderId: string) => void,
  ) {}

  async place(request: PlaceOrderRequest): Promise<PlaceOrderAck> {
    const { conn, requestTimeoutMs } = this.ctx;
    if (conn.state === 'degraded') throw new BrokerConnectionError('IBKR connectivity is lost (1100): new orders are held until it returns; nothing was sent', 'BROKER_DEGRADED');
    if (!conn.usable) throw new BrokerConnectionError(`IB Gateway/TWS is ${conn.state}; nothing was sent`);
    const { ids, contract } = request;
    if (this.book.has(ids.orderId)) {
      return { orderId: ids.orderId, status: 'REJECTED', message: `Duplicate order id ${ids.orderId}; the existing order is left alone`, children: [] };
    }
    const legs = this.legs(request);
    // Every leg and the ids it uses in one commit of tws-orders.db, before anything is sent.
    this.book.transaction(() => {
      for (const leg of legs) {
        this.ids.noteUsed(leg.state.orderId);
        this.book.track(leg.state, null);
      }
    });
    const parent = this.book.find(ids.orderId);
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
      for (const leg of legs) this.book.update(leg.state.orderId, { status: 'REJECTED', message });
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
      this.book.update(ids.orderId, { message: `No acknowledgement from IBKR within ${requestTimeoutMs} ms; the order is not resent and will be reconciled` }, false);
      this.onLostAck(ids.orderId);
    }
    return this.ack(ids.orderId);
  }

  private ack(orderId: string): PlaceOrderAck {
    const parent = this.book.find(orderId);
    return { orderId, status: parent?.state.status ?? 'UNKNOWN', message: parent?.state.message ?? null, children: this.book.childrenOf(orderId) };
  }

  /** The TWS orders for a request: the entry, then bracket children (the last leg transmits the whole bracket). */
  private legs(request: PlaceOrderRequest): Leg[] {
    const { ids, spec, accountId, orderRef, contract } = request;
    const now = this.ctx.nowIso();
    const state = (orderId: string, parentOrderId: string | null, role: BrokerOrderState['role'], s: OrderSpec): BrokerOrderState => ({
      orderId, parentOrderId, role, accountId, orderRef, conId: contract.conId, spec: s, status: 'PENDING_SUBMIT',
      filledQuantity: 0, remainingQuantity: s.quantity, avgFillPrice: null, commission: null, message: null, updatedAt: now,
    });
    const out: Leg[] = [{ state: state(ids.orderId, null, 'ENTRY', spec), order: specToIbOrder(spec, { account: accountId, orderRef }) }];
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
}
