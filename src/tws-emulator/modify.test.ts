/**
 * Modifying an order the IBKR way, with the real @stoqey/ib client: placeOrder
 * again with the same order id amends the working order; the gateway answers
 * with openOrder/orderStatus carrying the new terms, and the order fills under
 * its id. A filled order answers 104, a changed side 105.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventName, OrderAction, OrderType, SecType, type Contract as IbContract, type Order } from '@stoqey/ib';
import { makeHarness, type Harness } from '../testing/emulator-harness.js';

const AAPL: IbContract = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };
const order = (action: OrderAction, qty: number, type: OrderType, extra: Partial<Order> = {}): Order => ({ action, totalQuantity: qty, orderType: type, tif: 'DAY', transmit: true, ...extra });

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => {
  for (const c of h.clients) expect(c.decoderErrors()).toEqual([]);
  await h.close();
});

async function quote(): Promise<{ bid: number; ask: number }> {
  const [c] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
  if (!c) throw new Error('AAPL missing');
  const q = await h.broker.getQuote(c);
  return { bid: q.bid ?? 0, ask: q.ask ?? 0 };
}

describe('modify by placeOrder with the same id', () => {
  it('amends a resting LMT order: the amended openOrder, then the fill, all under the same order id', async () => {
    const c = await h.connect(1);
    const { bid, ask } = await quote();
    const low = Math.round(bid * 50) / 100;
    c.ib.placeOrder(5, AAPL, order(OrderAction.BUY, 3, OrderType.LMT, { lmtPrice: low }));
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 5 && (a[1] === 'Submitted' || a[1] === 'PreSubmitted'));

    const through = Math.round((ask + 1) * 100) / 100;
    c.ib.placeOrder(5, AAPL, order(OrderAction.BUY, 2, OrderType.LMT, { lmtPrice: through }));
    const [, , amended] = await c.waitFor(EventName.openOrder, (a) => a[0] === 5 && (a[2] as Order).totalQuantity === 2);
    expect(amended).toMatchObject({ orderId: 5, totalQuantity: 2, lmtPrice: through, action: 'BUY' });
    for (let i = 0; i < 30 && c.all(EventName.orderStatus, (a) => a[0] === 5 && a[1] === 'Filled').length === 0; i++) await h.advance(1000);
    const filled = await c.waitFor(EventName.orderStatus, (a) => a[0] === 5 && a[1] === 'Filled');
    expect(filled[2]).toBe(2);
    expect(filled[4]).toBeLessThanOrEqual(through);
    const [, , exec] = await c.waitFor(EventName.execDetails);
    expect(exec).toMatchObject({ orderId: 5, side: 'BOT' });
    expect(c.all(EventName.error, (a) => a[2] === 5)).toEqual([]);
    const held = await h.broker.getPositions(h.broker.accounts()[0] ?? '');
    expect(held.find((p) => p.conId === 265598)?.quantity).toBe(2);
  });

  it('answers 104 for a filled order and 105 for a changed side, leaving the order as it was', async () => {
    const c = await h.connect(1);
    const { bid } = await quote();
    c.ib.placeOrder(7, AAPL, order(OrderAction.BUY, 1, OrderType.MKT));
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 7 && a[1] === 'Filled');
    c.ib.placeOrder(7, AAPL, order(OrderAction.BUY, 2, OrderType.MKT));
    expect((await c.waitFor(EventName.error, (a) => a[2] === 7))[1]).toBe(104);

    const low = Math.round(bid * 50) / 100;
    c.ib.placeOrder(8, AAPL, order(OrderAction.BUY, 1, OrderType.LMT, { lmtPrice: low }));
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 8 && (a[1] === 'Submitted' || a[1] === 'PreSubmitted'));
    c.ib.placeOrder(8, AAPL, order(OrderAction.SELL, 1, OrderType.LMT, { lmtPrice: low }));
    expect((await c.waitFor(EventName.error, (a) => a[2] === 8))[1]).toBe(105);
    const open = await h.broker.getOpenOrders();
    expect(open.find((o) => o.spec.limitPrice === low)?.spec.action).toBe('BUY');
  });
});
