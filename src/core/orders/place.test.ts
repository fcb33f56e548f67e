/**
 * Placing orders through createClient() on the simulated broker: what a
 * trader sees, and what the audit log and the broker hold afterwards.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../testing/client-harness.js';
import { Decimal } from '../money.js';

let gw: TestGateway;
afterEach(async () => gw?.cleanup());

const big = { MAX_ORDER_NOTIONAL: '100000000', MAX_POSITION_NOTIONAL: '100000000', MAX_GROSS_EXPOSURE: '1000000000', MAX_ORDER_QUANTITY: '1000000' };

describe('with ORDERS_ENABLED=true on the simulated broker', () => {
  it('a MKT buy of 100 AAPL fills; the position shows 100 at the fill price and cash drops by value + commission', async () => {
    gw = await startTestGateway();
    const before = await gw.client.getAccountSummary();
    const result = await gw.client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 100, orderType: 'MKT' });
    await gw.advance(1000);
    const order = await gw.client.getOrderStatus(result.orderId);
    expect(order.status).toBe('FILLED');
    expect(order.filledQuantity).toBe(100);
    expect(order.fills.length).toBeGreaterThan(0);
    const price = order.avgFillPrice as number;
    const commission = order.commission as number;
    expect(commission).toBeGreaterThanOrEqual(1);

    const position = (await gw.client.getPositions()).find((p) => p.symbol === 'AAPL');
    expect(position?.quantity).toBe(100);
    expect(position?.avgCost).toBeCloseTo(price + commission / 100, 4);
    const after = await gw.client.getAccountSummary();
    const expectedCash = new Decimal(before.totalCash).minus(new Decimal(price).times(100)).minus(commission).toDecimalPlaces(2).toNumber();
    expect(after.totalCash).toBeCloseTo(expectedCash, 2);
  });

  it('a LMT buy far below the market rests ACCEPTED; cancel gives CANCELLED; a second cancel is refused', async () => {
    gw = await startTestGateway();
    const quote = await gw.client.getQuote({ symbol: 'AAPL' });
    const limitPrice = Math.floor((quote.bid as number) * 0.92);
    const placed = await gw.client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'LMT', limitPrice });
    await gw.advance(5000);
    expect((await gw.client.getOrderStatus(placed.orderId)).status).toBe('ACCEPTED');
    expect((await gw.client.listOrders({ status: 'open' })).map((o) => o.orderId)).toContain(placed.orderId);

    const cancel = await gw.client.cancelOrder(placed.orderId);
    expect(cancel).toMatchObject({ orderId: placed.orderId, status: 'CANCELLED', cancelled: true });
    await expect(gw.client.cancelOrder(placed.orderId)).rejects.toMatchObject({ code: 'ORDER_NOT_CANCELLABLE', status: 409 });
    const events = (await gw.client.queryAudit({ orderId: placed.orderId })).entries.map((e) => e.eventType);
    expect(events).toEqual(expect.arrayContaining(['ORDER_SUBMITTED', 'ORDER_ACCEPTED', 'ORDER_CANCEL_REQUESTED', 'ORDER_CANCELLED']));
  });

  it('an FOK for more than the displayed size is cancelled unfilled', async () => {
    gw = await startTestGateway({ ...big, SIM_STARTING_CASH: '100000000' });
    const quote = await gw.client.getQuote({ symbol: 'AAPL' });
    const quantity = (quote.askSize as number) * 2;
    const placed = await gw.client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity, orderType: 'LMT', limitPrice: quote.ask as number, timeInForce: 'FOK' });
    await gw.advance(1000);
    const order = await gw.client.getOrderStatus(placed.orderId);
    expect(order.status).toBe('CANCELLED');
    expect(order.filledQuantity).toBe(0);
    expect(await gw.client.getPositions()).toEqual([]);
  });

  it('a DAY order expires at the close when the clock passes it', async () => {
    gw = await startTestGateway({ SIM_SESSION: 'real' });
    const quote = await gw.client.getQuote({ symbol: 'AAPL' });
    const placed = await gw.client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'LMT', limitPrice: Math.floor((quote.bid as number) * 0.92) });
    await gw.advance(60_000);
    expect((await gw.client.getOrderStatus(placed.orderId)).status).toBe('ACCEPTED');
    // 10:00 -> 16:01 New York time.
    gw.clock.advance((6 * 60 + 1) * 60_000);
    await gw.advance(1000);
    expect((await gw.client.getOrderStatus(placed.orderId)).status).toBe('EXPIRED');
  });

  it('selling the position realises the P&L of the two fills, commissions included', async () => {
    gw = await startTestGateway();
    const buy = await gw.client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 100, orderType: 'MKT' });
    await gw.advance(60 * 60_000);
    const sell = await gw.client.placeOrder({ symbol: 'AAPL', action: 'SELL', quantity: 100, orderType: 'MKT' });
    await gw.advance(1000);
    const [b, s] = [await gw.client.getOrderStatus(buy.orderId), await gw.client.getOrderStatus(sell.orderId)];
    expect([b.status, s.status]).toEqual(['FILLED', 'FILLED']);
    const expected = new Decimal(s.avgFillPrice as number)
      .minus(b.avgFillPrice as number)
      .times(100)
      .minus(b.commission as number)
      .minus(s.commission as number)
      .toDecimalPlaces(2)
      .toNumber();
    const pnl = await gw.client.getPnl();
    expect(pnl.realizedPnl).toBeCloseTo(expected, 2);
    expect((await gw.client.getPositions()).filter((p) => p.quantity !== 0)).toEqual([]);
  });

  it('a bracket places the entry and both children; the children share the parent id', async () => {
    gw = await startTestGateway();
    const quote = await gw.client.getQuote({ symbol: 'AAPL' });
    const entry = Math.floor((quote.bid as number) * 0.95);
    const r = await gw.client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'LMT', limitPrice: entry, takeProfitPrice: entry + 20, stopLossPrice: entry - 10 });
    expect(r.children.map((c) => c.role).sort()).toEqual(['STOP_LOSS', 'TAKE_PROFIT']);
    for (const c of r.children) expect((await gw.client.getOrderStatus(c.orderId)).parentOrderId).toBe(r.orderId);
  });
});

describe('with ORDERS_ENABLED=false (the default)', () => {
  it('the order is validated, risk-checked and recorded as SIMULATED; nothing reaches the broker', async () => {
    gw = await startTestGateway({ ORDERS_ENABLED: 'false' });
    const r = await gw.client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'MKT' });
    expect(r.status).toBe('SIMULATED');
    expect(r.orderId).toMatch(/^SIM-/);
    await gw.advance(1000);
    expect(await gw.client.broker.getOpenOrders()).toEqual([]);
    expect(await gw.client.broker.getExecutions()).toEqual([]);
    expect((await gw.client.queryAudit({ orderId: r.orderId })).entries.map((e) => e.eventType)).toEqual(['ORDER_SIMULATED']);
  });
});
