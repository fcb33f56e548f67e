/**
 * Order lifecycles particular to the tws broker over the TWS emulator: orders
 * that end while the adapter is disconnected get their true final status at
 * reconciliation from reqCompletedOrders (a DAY order that expired during a
 * gateway restart is EXPIRED, not a guessed CANCELLED). Brackets and OCA are
 * in the Broker specification (testing/broker-spec), their wire form in
 * tws-emulator/place-order-wire.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OrderSpec, type Contract, type Fill } from '../../core/models.js';
import { makeTwsHarness, type TwsHarness } from '../../testing/tws-harness.js';

let h: TwsHarness | null = null;

afterEach(async () => {
  await h?.cleanup();
  h = null;
});

async function setup(): Promise<{ x: TwsHarness; aapl: Contract; account: string }> {
  const x = await makeTwsHarness();
  h = x;
  await x.broker.connect();
  const [aapl] = await x.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
  if (!aapl) throw new Error('AAPL did not resolve');
  return { x, aapl, account: x.broker.accounts()[0] ?? '' };
}

describe('tws broker completed orders', () => {
  it('settles a DAY order that expired while disconnected as EXPIRED, and a cancelled one as CANCELLED', async () => {
    const { x, aapl, account } = await setup();
    const fills: Fill[] = [];
    x.broker.on('fill', (f) => fills.push(f));
    const quote = await x.broker.getQuote(aapl);
    const far = Number((Math.floor(((quote.bid ?? 100) * 0.5) / aapl.minTick) * aapl.minTick).toFixed(2));
    const place = async (tif: 'DAY' | 'GTC', ref: string) => {
      const [orderId] = await x.broker.allocateOrderIds(1);
      if (!orderId) throw new Error('no id');
      const spec = OrderSpec.parse({ symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: far, timeInForce: tif });
      return x.broker.placeOrder({ ids: { orderId }, contract: aapl, spec, accountId: account, orderRef: ref });
    };
    const day = await place('DAY', 'day-order');
    const gtc = await place('GTC', 'gtc-order');
    await x.until('both working', async () => (await x.broker.getOrder(day.orderId))?.status === 'ACCEPTED' && (await x.broker.getOrder(gtc.orderId))?.status === 'ACCEPTED');

    // A gateway restart; meanwhile the session closes (the DAY order expires) and the GTC order is cancelled elsewhere.
    const restart = x.emulator.refuseConnectionsFor(300);
    await x.until('disconnected', () => x.broker.status().state !== 'connected');
    x.clock.advance(25 * 3600_000);
    await x.sim.cancelOrder(gtc.orderId);
    expect((await x.sim.getOrder(day.orderId))?.status).toBe('EXPIRED');
    await restart;

    await x.until('reconnected', () => x.broker.status().state === 'connected');
    const dayAfter = await x.broker.getOrder(day.orderId);
    const gtcAfter = await x.broker.getOrder(gtc.orderId);
    expect(dayAfter?.status).toBe('EXPIRED');
    expect(dayAfter?.message).toMatch(/completed orders/);
    expect(gtcAfter?.status).toBe('CANCELLED');
    expect(gtcAfter?.message).toMatch(/completed orders/);
    expect(fills).toEqual([]);
  }, 30_000);
});
