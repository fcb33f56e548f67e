/** reqCompletedOrders with the real @stoqey/ib client: filled, cancelled and expired orders, with how each ended. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventName, OrderAction, OrderType, SecType, type Contract as IbContract, type Order, type OrderState } from '@stoqey/ib';
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

describe('completed orders', () => {
  it('lists filled, cancelled and expired orders with their final status, then the End', async () => {
    const c = await h.connect(1);
    c.ib.placeOrder(1, AAPL, order(OrderAction.BUY, 3, OrderType.MKT, { orderRef: 'filled' }));
    c.ib.placeOrder(2, AAPL, order(OrderAction.BUY, 1, OrderType.LMT, { lmtPrice: 1, tif: 'GTC', orderRef: 'cancelled' }));
    c.ib.placeOrder(3, AAPL, order(OrderAction.BUY, 1, OrderType.LMT, { lmtPrice: 1, tif: 'DAY', orderRef: 'expired' }));
    c.ib.placeOrder(4, AAPL, order(OrderAction.BUY, 1, OrderType.LMT, { lmtPrice: 2, tif: 'GTC', orderRef: 'working' }));
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 1 && a[1] === 'Filled');
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 4);
    c.ib.cancelOrder(2, {});
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 2 && a[1] === 'Cancelled');
    await h.advance(25 * 3600_000);
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 3 && a[1] === 'Cancelled');

    c.ib.reqCompletedOrders(false);
    await c.waitFor(EventName.completedOrdersEnd);
    await tick(10);
    const done = c.all(EventName.completedOrder).map((a) => ({ order: a[1] as Order, state: a[2] as OrderState }));
    const byRef = new Map(done.map((d) => [d.order.orderRef, d]));
    expect([...byRef.keys()].sort()).toEqual(['cancelled', 'expired', 'filled']);
    expect(byRef.get('filled')?.state).toMatchObject({ status: 'Filled', completedStatus: 'Filled Size: 3' });
    expect(byRef.get('filled')?.order.filledQuantity).toBe(3);
    expect(byRef.get('cancelled')?.state.status).toBe('Cancelled');
    expect(byRef.get('cancelled')?.state.completedStatus).toMatch(/^Cancelled by Trader/);
    expect(byRef.get('expired')?.state.status).toBe('Cancelled');
    expect(byRef.get('expired')?.state.completedStatus).toMatch(/expired/i);
    expect(byRef.get('expired')?.order).toMatchObject({ tif: 'DAY', lmtPrice: 1, action: 'BUY', totalQuantity: 1 });
    for (const d of done) {
      expect(d.order.permId).toBeGreaterThan(0);
      expect(d.state.completedTime).toMatch(/^\d{8} \d{2}:\d{2}:\d{2} UTC$/);
    }
  });
});
