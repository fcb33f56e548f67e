/**
 * Modifying through the whole gateway on the tws broker, over a real socket
 * to the TWS emulator: the core sends placeOrder with the same id, the audit
 * records the request and IBKR's answer under one correlation id, and a
 * filled order is a 409.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayClient } from '../client/interface.js';
import { makeTwsGateway, type TwsHarness } from '../../testing/tws-harness.js';

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

async function start(): Promise<{ h: TwsHarness; client: GatewayClient }> {
  const gateway = await makeTwsGateway();
  cleanup = gateway.cleanup;
  return gateway;
}

describe('modify on the tws broker over the TWS emulator', () => {
  it('moves a resting limit through the market: same id, IBKR takes it, it fills, every step audited, the log verifies', async () => {
    const { h, client } = await start();
    const quote = await client.getQuote({ symbol: 'AAPL' });
    const limitPrice = Math.floor((quote.bid as number) * 0.95);
    const placed = await client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'LMT', limitPrice, timeInForce: 'GTC' });
    await h.until('the order to be working', async () => (await client.getOrderStatus(placed.orderId)).status === 'ACCEPTED');

    const through = Math.ceil((quote.ask as number) + 2);
    const result = await client.modifyOrder(placed.orderId, { limitPrice: through, quantity: 4 });
    expect(result).toMatchObject({ orderId: placed.orderId, modified: true, spec: { limitPrice: through, quantity: 4 } });
    await h.until('the modified order to fill', async () => {
      await h.advance(1000);
      return (await client.getOrderStatus(placed.orderId)).status === 'FILLED';
    });
    const order = await client.getOrderStatus(placed.orderId);
    expect(order.filledQuantity).toBe(4);

    const entries = (await client.queryAudit({ orderId: placed.orderId })).entries;
    const mine = entries.filter((e) => e.correlationId === result.correlationId).map((e) => e.eventType);
    // The request, IBKR's answer, and (when the answer already carried it) the fill the change caused.
    expect(mine.slice(0, 2)).toEqual(['ORDER_MODIFY_REQUESTED', 'ORDER_MODIFIED']);
    expect(entries.map((e) => e.eventType)).toContain('ORDER_FILLED');

    await expect(client.modifyOrder(placed.orderId, { quantity: 5 })).rejects.toMatchObject({ code: 'ORDER_NOT_MODIFIABLE', status: 409 });
    expect((await client.verifyAudit()).ok).toBe(true);
  });
});
