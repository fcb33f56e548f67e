/**
 * The kill switch on the tws broker, over a real socket to the TWS emulator:
 * engaging it cancels the gateway's own working orders one by one (each
 * recorded), then sends IBKR's reqGlobalCancel, which also stops an order
 * this connection never placed (one entered at the broker directly, as from
 * TWS's own window or another API client).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OrderSpec } from '../models.js';
import { makeTwsGateway } from '../../testing/tws-harness.js';

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe('kill switch on the tws broker', () => {
  it('cancels its own working orders, then reqGlobalCancel stops an order placed outside this connection', async () => {
    const { h: harness, client: gw, cleanup: close } = await makeTwsGateway();
    cleanup = close;

    const quote = await gw.getQuote({ symbol: 'AAPL' });
    const mine = await gw.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 5, orderType: 'LMT', limitPrice: Math.floor((quote.bid as number) * 0.95), timeInForce: 'GTC' });
    await harness.until('the gateway order to work', async () => (await gw.getOrderStatus(mine.orderId)).status === 'ACCEPTED');

    // An order entered at the broker itself: the gateway does not own it and never cancels it one by one.
    const [msft] = await harness.sim.resolveContracts({ symbol: 'MSFT', securityType: 'STK' });
    if (!msft) throw new Error('MSFT is in the simulator catalogue');
    const msftQuote = await harness.sim.getQuote(msft);
    const [manualId] = await harness.sim.allocateOrderIds(1);
    if (manualId === undefined) throw new Error('the simulator allocates ids');
    const spec = OrderSpec.parse({ symbol: 'MSFT', action: 'BUY', quantity: 3, orderType: 'LMT', limitPrice: Math.floor((msftQuote.bid as number) * 0.9), timeInForce: 'GTC' });
    await harness.sim.placeOrder({ ids: { orderId: manualId }, contract: msft, spec, accountId: harness.sim.accounts()[0] ?? '', orderRef: 'entered-in-tws' });
    expect((await harness.sim.getOrder(manualId))?.status).toBe('ACCEPTED');

    const change = await gw.setKillSwitch(true, 'stop everything');
    expect(change).toMatchObject({ engaged: true, cancelled: [mine.orderId], cancelFailed: [], globalCancelSent: true });
    expect((await gw.getOrderStatus(mine.orderId)).status).toBe('CANCELLED');
    await harness.until('the order placed outside the gateway to be cancelled by the global cancel', async () => (await harness.sim.getOrder(manualId))?.status === 'CANCELLED');
    expect((await gw.verifyAudit()).ok).toBe(true);
  });
});
