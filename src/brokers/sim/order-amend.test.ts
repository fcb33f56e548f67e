import { afterEach, describe, expect, it } from 'vitest';
import type { Contract, OrderSpecInput } from '../../core/models.js';
import { OrderSpec } from '../../core/models.js';
import { makeSimHarness, placeSim, type SimHarness } from '../../testing/sim-harness.js';

let harnesses: SimHarness[] = [];
afterEach(async () => {
  for (const h of harnesses) await h.cleanup();
  harnesses = [];
});

async function start(): Promise<SimHarness & { aapl: Contract; farBelow: number }> {
  const h = makeSimHarness();
  harnesses.push(h);
  await h.broker.connect();
  const [aapl] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
  if (!aapl) throw new Error('AAPL missing');
  const q = await h.broker.getQuote(aapl);
  return { ...h, aapl, farBelow: Math.floor((q.bid ?? 100) * 0.5) };
}

const lmt = (limitPrice: number, quantity = 10): OrderSpecInput => ({ symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity, orderType: 'LMT', limitPrice, timeInForce: 'GTC' });

function modify(h: SimHarness & { aapl: Contract }, orderId: string, input: OrderSpecInput) {
  return h.broker.modifyOrder({ orderId, contract: h.aapl, spec: OrderSpec.parse(input), accountId: 'DU1234567', orderRef: orderId });
}

const queue = async (h: { broker: SimHarness['broker'] }): Promise<string[]> => (await h.broker.getOpenOrders()).map((o) => o.orderId);

describe('modifying a resting order in the simulator', () => {
  it('keeps time priority for a size decrease, loses it for a price change or a size increase, and keeps the queue across a restart', async () => {
    const h = await start();
    const a = await placeSim(h.broker, h.aapl, lmt(h.farBelow));
    const b = await placeSim(h.broker, h.aapl, lmt(h.farBelow));
    expect(await queue(h)).toEqual([a.orderId, b.orderId]);

    expect((await modify(h, a.orderId, lmt(h.farBelow, 5))).accepted).toBe(true);
    expect(await queue(h)).toEqual([a.orderId, b.orderId]);

    expect((await modify(h, a.orderId, lmt(h.farBelow + 1, 5))).accepted).toBe(true);
    expect(await queue(h)).toEqual([b.orderId, a.orderId]);

    expect((await modify(h, b.orderId, lmt(h.farBelow, 20))).accepted).toBe(true);
    expect(await queue(h)).toEqual([a.orderId, b.orderId]);

    const again = await h.restart(0);
    expect((await again.getOpenOrders()).map((o) => o.orderId)).toEqual([a.orderId, b.orderId]);
    const restored = await again.getOrder(b.orderId);
    expect(restored?.spec.quantity).toBe(20);
    expect(restored?.remainingQuantity).toBe(20);
  });

  it('refuses a new version that changes the side or type, or a price off the tick, leaving the order as it was', async () => {
    const h = await start();
    const a = await placeSim(h.broker, h.aapl, lmt(h.farBelow));
    const sell = await modify(h, a.orderId, { ...lmt(h.farBelow), action: 'SELL' });
    expect(sell.accepted).toBe(false);
    expect(sell.message).toMatch(/does not match original order: action/);
    const toMarket = await modify(h, a.orderId, { symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 10, orderType: 'MKT' });
    expect(toMarket.accepted).toBe(false);
    const offTick = await modify(h, a.orderId, lmt(h.farBelow + 0.001));
    expect(offTick.accepted).toBe(false);
    expect(offTick.message).toMatch(/minimum price variation/);
    expect((await h.broker.getOrder(a.orderId))?.spec).toEqual(OrderSpec.parse(lmt(h.farBelow)));
  });

  it('refuses to modify the quantity of a bracket entry whose exits are working, but moves an exit price', async () => {
    const h = await start();
    const entry = await placeSim(h.broker, h.aapl, { ...lmt(h.farBelow), takeProfitPrice: h.farBelow + 20, stopLossPrice: h.farBelow - 20 });
    const [tp] = entry.children;
    if (!tp) throw new Error('no take-profit');
    const bigger = await modify(h, entry.orderId, { ...lmt(h.farBelow, 20), takeProfitPrice: h.farBelow + 20, stopLossPrice: h.farBelow - 20 });
    expect(bigger.accepted).toBe(false);
    expect(bigger.message).toMatch(/bracket exits/);
    const moved = await modify(h, tp.orderId, { ...tp.spec, limitPrice: h.farBelow + 30 });
    expect(moved.accepted).toBe(true);
    expect((await h.broker.getOrder(tp.orderId))?.spec.limitPrice).toBe(h.farBelow + 30);
  });

  it('refuses an unknown order id with ORDER_NOT_FOUND', async () => {
    const h = await start();
    await expect(modify(h, '999999', lmt(h.farBelow))).rejects.toMatchObject({ code: 'ORDER_NOT_FOUND' });
  });
});
