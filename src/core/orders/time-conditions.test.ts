/**
 * goodAfterTime and GTD through the core (createClient on the simulator): the
 * order is recorded as the broker holds it (SUBMITTED with IBKR's 399 text
 * until its time), its later fill reaches the order's record, and a working
 * GTD order made GTC loses its goodTillDate instead of failing validation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../testing/client-harness.js';

let gw: TestGateway;
afterEach(async () => gw?.cleanup());

describe('time conditions through the core', () => {
  it('records an order held until its goodAfterTime as SUBMITTED, then its fill at that time', async () => {
    gw = await startTestGateway();
    const after = new Date(gw.clock.now() + 30_000).toISOString();
    const placed = await gw.client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 3, orderType: 'MKT', timeInForce: 'GTC', goodAfterTime: after });
    expect(placed.status).toBe('SUBMITTED');
    expect(placed.message).toMatch(/^Warning 399: your order will not be placed at the exchange until \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} US\/Eastern$/);
    expect((await gw.client.getOrderStatus(placed.orderId)).spec.goodAfterTime).toBe(after);
    await gw.advance(29_000);
    expect((await gw.client.getOrderStatus(placed.orderId)).status).toBe('SUBMITTED');
    await gw.advance(2_000);
    const done = await gw.client.getOrderStatus(placed.orderId);
    expect(done.status).toBe('FILLED');
    expect(done.fills.map((f) => f.time)).toEqual([after]);
  });

  it('drops goodTillDate when a working GTD order is made GTC, and the order no longer expires then', async () => {
    gw = await startTestGateway();
    const quote = await gw.client.getQuote({ symbol: 'AAPL' });
    const till = new Date(gw.clock.now() + 60_000).toISOString();
    const limitPrice = Math.floor((quote.bid as number) * 0.94);
    const placed = await gw.client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice, timeInForce: 'GTD', goodTillDate: till });
    expect(placed.status).toBe('ACCEPTED');
    const modified = await gw.client.modifyOrder(placed.orderId, { timeInForce: 'GTC' });
    expect(modified.spec.timeInForce).toBe('GTC');
    expect(modified.spec.goodTillDate).toBeUndefined();
    await gw.advance(90_000);
    expect((await gw.client.getOrderStatus(placed.orderId)).status).toBe('ACCEPTED');
  });
});
