/**
 * Modifying a working order through createClient() on the simulated broker:
 * the same order id, the new version checked as a new order is, every step in
 * the audit log under the request's correlation id.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../testing/client-harness.js';

let gw: TestGateway;
afterEach(async () => gw?.cleanup());

async function restingBuy(quantity = 10): Promise<{ orderId: string; limitPrice: number; ask: number }> {
  const quote = await gw.client.getQuote({ symbol: 'AAPL' });
  const limitPrice = Math.floor((quote.bid as number) * 0.94);
  const placed = await gw.client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity, orderType: 'LMT', limitPrice, timeInForce: 'GTC' });
  await gw.advance(1000);
  expect((await gw.client.getOrderStatus(placed.orderId)).status).toBe('ACCEPTED');
  return { orderId: placed.orderId, limitPrice, ask: quote.ask as number };
}

describe('modifying a working order', () => {
  it('moves the limit through the market: same id, fills, and the audit shows request, modification and fill under their correlation ids', async () => {
    gw = await startTestGateway();
    const { orderId, ask } = await restingBuy(10);
    const through = Math.ceil(ask + 2);
    const result = await gw.client.modifyOrder(orderId, { limitPrice: through, quantity: 4 });
    expect(result).toMatchObject({ orderId, modified: true, previous: { limitPrice: expect.any(Number), quantity: 10 }, spec: { limitPrice: through, quantity: 4 } });
    await gw.advance(1000);
    const order = await gw.client.getOrderStatus(orderId);
    expect(order.status).toBe('FILLED');
    expect(order.filledQuantity).toBe(4);
    expect(order.spec.limitPrice).toBe(through);

    const entries = (await gw.client.queryAudit({ orderId })).entries;
    const types = entries.map((e) => e.eventType);
    expect(types).toEqual(expect.arrayContaining(['ORDER_SUBMITTED', 'ORDER_MODIFY_REQUESTED', 'ORDER_MODIFIED', 'ORDER_FILLED']));
    expect(types.indexOf('ORDER_MODIFY_REQUESTED')).toBeLessThan(types.indexOf('ORDER_MODIFIED'));
    const requested = entries.find((e) => e.eventType === 'ORDER_MODIFY_REQUESTED');
    expect(requested?.correlationId).toBe(result.correlationId);
    expect(entries.find((e) => e.eventType === 'ORDER_MODIFIED')?.correlationId).toBe(result.correlationId);
    expect((await gw.client.verifyAudit()).ok).toBe(true);
  });

  it('refuses to modify a filled order with 409 ORDER_NOT_MODIFIABLE and an unknown one with 404', async () => {
    gw = await startTestGateway();
    const placed = await gw.client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' });
    await gw.advance(1000);
    expect((await gw.client.getOrderStatus(placed.orderId)).status).toBe('FILLED');
    await expect(gw.client.modifyOrder(placed.orderId, { quantity: 2 })).rejects.toMatchObject({ code: 'ORDER_NOT_MODIFIABLE', status: 409 });
    await expect(gw.client.modifyOrder('999999', { quantity: 2 })).rejects.toMatchObject({ code: 'ORDER_NOT_FOUND', status: 404 });
  });

  it('refuses bad changes before anything is sent: nothing to change, an unchanged value, a side change, a time in force a working order cannot take', async () => {
    gw = await startTestGateway();
    const { orderId, limitPrice } = await restingBuy(10);
    await expect(gw.client.modifyOrder(orderId, {})).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(gw.client.modifyOrder(orderId, { limitPrice })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(gw.client.modifyOrder(orderId, { action: 'SELL' } as never)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(gw.client.modifyOrder(orderId, { timeInForce: 'IOC' } as never)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    expect((await gw.client.queryAudit({ orderId, eventType: 'ORDER_MODIFY_REQUESTED' })).entries).toEqual([]);
  });

  it('runs the risk checks on the new version, with the old version out of the working-order exposure', async () => {
    gw = await startTestGateway({ MAX_ORDER_QUANTITY: '12' });
    const { orderId } = await restingBuy(10);
    await expect(gw.client.modifyOrder(orderId, { quantity: 13 })).rejects.toMatchObject({ code: 'RISK_LIMIT_EXCEEDED' });
    const blocked = (await gw.client.queryAudit({ orderId, eventType: 'RISK_BLOCKED' })).entries;
    expect(blocked).toHaveLength(1);
    expect((await gw.client.getOrderStatus(orderId)).spec.quantity).toBe(10);
    const preview = await gw.client.previewModification(orderId, { quantity: 12 });
    expect(preview.riskPassed).toBe(true);
    expect(preview.riskChecks.find((c) => c.name === 'maxOrderQuantity')).toMatchObject({ passed: true, value: 12 });
    expect((await gw.client.modifyOrder(orderId, { quantity: 12 })).spec.quantity).toBe(12);
  });

  it('binds a preview to its modification: the same changes pass, other changes or a new order with that previewId do not', async () => {
    gw = await startTestGateway();
    const { orderId, limitPrice } = await restingBuy(10);
    const preview = await gw.client.previewModification(orderId, { limitPrice: limitPrice - 1 });
    expect(preview).toMatchObject({ orderId, previous: { limitPrice }, spec: { limitPrice: limitPrice - 1 } });
    await expect(gw.client.modifyOrder(orderId, { limitPrice: limitPrice - 2, previewId: preview.previewId })).rejects.toMatchObject({ code: 'PREVIEW_MISMATCH' });
    await expect(gw.client.placeOrder({ ...preview.spec, previewId: preview.previewId })).rejects.toMatchObject({ code: 'PREVIEW_MISMATCH' });
    const done = await gw.client.modifyOrder(orderId, { limitPrice: limitPrice - 1, previewId: preview.previewId });
    expect(done.modified).toBe(true);
  });

  it('answers a retry with the same Idempotency-Key from the first result, sending nothing again', async () => {
    gw = await startTestGateway();
    const { orderId, limitPrice } = await restingBuy(10);
    const first = await gw.client.modifyOrder(orderId, { limitPrice: limitPrice - 1 }, { idempotencyKey: 'mod-1' });
    const again = await gw.client.modifyOrder(orderId, { limitPrice: limitPrice - 1 }, { idempotencyKey: 'mod-1' });
    expect(again).toMatchObject({ ...first, idempotentReplay: true });
    expect((await gw.client.queryAudit({ orderId, eventType: 'ORDER_MODIFY_REQUESTED' })).entries).toHaveLength(1);
    await expect(gw.client.modifyOrder(orderId, { limitPrice: limitPrice - 2 }, { idempotencyKey: 'mod-1' })).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
  });

  it('sends nothing once the kill switch is engaged: the order was cancelled with every working order, and the change is refused', async () => {
    gw = await startTestGateway();
    const { orderId, limitPrice } = await restingBuy(10);
    await gw.client.setKillSwitch(true, 'test');
    await expect(gw.client.modifyOrder(orderId, { limitPrice: limitPrice - 1 })).rejects.toMatchObject({ code: 'ORDER_NOT_MODIFIABLE' });
    expect((await gw.client.queryAudit({ orderId, eventType: 'ORDER_MODIFY_REQUESTED' })).entries).toEqual([]);
    expect((await gw.client.getOrderStatus(orderId)).spec.limitPrice).toBe(limitPrice);
  });

  it('keeps the quantity above what has filled: a partly filled order can grow or shrink to more than its fills, not to them', async () => {
    gw = await startTestGateway({ MAX_ORDER_QUANTITY: '1000000', MAX_ORDER_NOTIONAL: '100000000', MAX_POSITION_NOTIONAL: '100000000', MAX_GROSS_EXPOSURE: '1000000000', SIM_STARTING_CASH: '100000000' });
    const quote = await gw.client.getQuote({ symbol: 'AAPL' });
    const quantity = (quote.askSize as number) * 3;
    const placed = await gw.client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity, orderType: 'LMT', limitPrice: quote.ask as number, timeInForce: 'GTC' });
    const partial = await gw.client.getOrderStatus(placed.orderId);
    if (partial.status !== 'PARTIALLY_FILLED') throw new Error(`expected a partial fill at the touch, got ${partial.status}`);
    const filled = partial.filledQuantity;
    await expect(gw.client.modifyOrder(placed.orderId, { quantity: filled })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    const shrunk = await gw.client.modifyOrder(placed.orderId, { quantity: filled + 1, limitPrice: Math.floor((quote.bid as number) * 0.95) });
    expect(shrunk).toMatchObject({ modified: true, filledQuantity: filled, remainingQuantity: 1 });
  });
});
