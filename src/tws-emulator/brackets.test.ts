/**
 * Bracket orders as IBKR takes them, with the real @stoqey/ib client: the
 * entry and the first child with transmit=false wait in the gateway; the last
 * child transmits the whole bracket, which the simulator places at once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventName, OrderAction, OrderType, SecType, type Contract as IbContract, type Order } from '@stoqey/ib';
import { makeHarness, tick, type Harness } from './test-harness.js';

const AAPL: IbContract = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };

let h: Harness;

beforeEach(async () => {
  h = await makeHarness();
});

afterEach(async () => {
  for (const c of h.clients) expect(c.decoderErrors()).toEqual([]);
  await h.close();
});

const order = (action: OrderAction, qty: number, type: OrderType, extra: Partial<Order> = {}): Order => ({ action, totalQuantity: qty, orderType: type, tif: 'DAY', transmit: true, ...extra });

describe('bracket orders', () => {
  it('holds untransmitted legs until the last child, then places entry, take-profit and stop-loss together', async () => {
    const c = await h.connect(1);
    const [aapl] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
    if (!aapl) throw new Error('AAPL missing');
    const q = await h.broker.getQuote(aapl);
    const ask = q.ask ?? 100;
    const bid = q.bid ?? 100;
    c.ib.placeOrder(11, AAPL, order(OrderAction.BUY, 2, OrderType.LMT, { lmtPrice: Number((ask + 1).toFixed(2)), transmit: false }));
    c.ib.placeOrder(12, AAPL, order(OrderAction.SELL, 2, OrderType.LMT, { lmtPrice: Number((ask + 50).toFixed(2)), parentId: 11, transmit: false }));
    await tick(50);
    expect(c.all(EventName.openOrder)).toEqual([]);
    expect(await h.broker.getOpenOrders()).toEqual([]);

    c.ib.placeOrder(13, AAPL, order(OrderAction.SELL, 2, OrderType.STP, { auxPrice: Number((bid - 50).toFixed(2)), parentId: 11, transmit: true }));
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 11 && a[1] === 'Filled');
    const tp = await c.waitFor(EventName.openOrder, (a) => a[0] === 12);
    const sl = await c.waitFor(EventName.openOrder, (a) => a[0] === 13);
    expect((tp[2] as Order).parentId).toBe(11);
    expect((sl[2] as Order).parentId).toBe(11);
    // The parent filled at once, so its children are working.
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 12 && a[1] === 'Submitted');
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 13 && a[1] === 'Submitted');
    const open = await h.broker.getOpenOrders();
    expect(open.map((o) => o.role).sort()).toEqual(['STOP_LOSS', 'TAKE_PROFIT']);
    expect(new Set(open.map((o) => o.parentOrderId)).size).toBe(1);
    expect(open.find((o) => o.role === 'TAKE_PROFIT')?.spec.limitPrice).toBe(Number((ask + 50).toFixed(2)));
    expect(open.find((o) => o.role === 'STOP_LOSS')?.spec.stopPrice).toBe(Number((bid - 50).toFixed(2)));
  });

  it('refuses a child of an order that was transmitted, and discards a cancelled untransmitted bracket', async () => {
    const c = await h.connect(1);
    c.ib.placeOrder(21, AAPL, order(OrderAction.BUY, 1, OrderType.LMT, { lmtPrice: 1 }));
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 21);
    c.ib.placeOrder(22, AAPL, order(OrderAction.SELL, 1, OrderType.LMT, { lmtPrice: 500, parentId: 21 }));
    expect((await c.waitFor(EventName.error, (a) => a[2] === 22))[1]).toBe(201);

    c.ib.placeOrder(31, AAPL, order(OrderAction.BUY, 1, OrderType.LMT, { lmtPrice: 1, transmit: false }));
    c.ib.cancelOrder(31, {});
    expect((await c.waitFor(EventName.error, (a) => a[2] === 31))[1]).toBe(202);
    c.ib.placeOrder(32, AAPL, order(OrderAction.SELL, 1, OrderType.LMT, { lmtPrice: 500, parentId: 31 }));
    expect((await c.waitFor(EventName.error, (a) => a[2] === 32))[1]).toBe(201);
    expect((await h.broker.getOpenOrders()).length).toBe(1);
  });
});
