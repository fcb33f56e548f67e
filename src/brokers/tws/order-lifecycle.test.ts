/**
 * Order lifecycles through the tws broker over the TWS emulator: brackets
 * (roles, parent ids, activation after the entry fills, one-cancels-all), and
 * orders that end while the adapter is disconnected getting their true final
 * status at reconciliation from reqCompletedOrders (a DAY order that expired
 * during a gateway restart is EXPIRED, not a guessed CANCELLED).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OrderSpec, type Contract, type Fill } from '../../core/models.js';
import type { BrokerOrderState } from '../../core/broker/port.js';
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

describe('tws broker brackets', () => {
  it('places entry + take-profit + stop-loss; children work once the entry fills; the take-profit fill cancels the stop-loss', async () => {
    const { x, aapl, account } = await setup();
    const events: BrokerOrderState[] = [];
    x.broker.on('orderStatus', (s) => events.push(s));
    const quote = await x.broker.getQuote(aapl);
    const round = (p: number): number => Number((Math.round(p / aapl.minTick) * aapl.minTick).toFixed(2));
    const limit = round((quote.bid ?? 100) - aapl.minTick);
    const [entryId, tpId, slId] = await x.broker.allocateOrderIds(3);
    if (!entryId || !tpId || !slId) throw new Error('no ids');
    const spec = OrderSpec.parse({ symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 2, orderType: 'LMT', limitPrice: limit, timeInForce: 'GTC', takeProfitPrice: round(limit + aapl.minTick), stopLossPrice: round(limit - 20) });
    const ack = await x.broker.placeOrder({ ids: { orderId: entryId, takeProfitOrderId: tpId, stopLossOrderId: slId }, contract: aapl, spec, accountId: account, orderRef: 'bracket-1' });
    expect(ack.orderId).toBe(entryId);
    expect(ack.children.map((c) => c.orderId).sort()).toEqual([tpId, slId].sort());

    const sim = await x.sim.getOpenOrders();
    expect(sim.map((o) => o.role).sort()).toEqual(['ENTRY', 'STOP_LOSS', 'TAKE_PROFIT']);

    await x.until('children acknowledged as waiting', async () => (await x.broker.getOrder(tpId))?.status === 'SUBMITTED' && (await x.broker.getOrder(slId))?.status === 'SUBMITTED');
    const tp = await x.broker.getOrder(tpId);
    const sl = await x.broker.getOrder(slId);
    expect(tp).toMatchObject({ role: 'TAKE_PROFIT', parentOrderId: entryId, spec: { action: 'SELL', orderType: 'LMT', limitPrice: round(limit + aapl.minTick), quantity: 2 } });
    expect(sl).toMatchObject({ role: 'STOP_LOSS', parentOrderId: entryId, spec: { action: 'SELL', orderType: 'STP', stopPrice: round(limit - 20), quantity: 2 } });
    expect((await x.broker.getOrder(entryId))?.role).toBe('ENTRY');

    await x.until(
      'entry filled, then the take-profit',
      async () => {
        await x.advance(60_000);
        return (await x.broker.getOrder(tpId))?.status === 'FILLED';
      },
      40_000,
    );
    await x.until('stop-loss cancelled by the fill of its sibling', async () => (await x.broker.getOrder(slId))?.status === 'CANCELLED');
    expect((await x.broker.getOrder(entryId))?.status).toBe('FILLED');

    // Activation came after the entry filled: the children were waiting (SUBMITTED) until then, working (ACCEPTED) or filled only after.
    const entryFilled = events.findIndex((e) => e.orderId === entryId && e.status === 'FILLED');
    expect(entryFilled).toBeGreaterThanOrEqual(0);
    for (const id of [tpId, slId]) {
      const mine = events.map((e, i) => ({ e, i })).filter(({ e }) => e.orderId === id);
      expect(mine[0]?.e.status).toBe('SUBMITTED');
      for (const { e, i } of mine) if (e.status === 'ACCEPTED' || e.status === 'FILLED') expect(i).toBeGreaterThan(entryFilled);
    }
    const simTp = await x.sim.getOrder(tpId);
    const simSl = await x.sim.getOrder(slId);
    expect(simTp?.status).toBe('FILLED');
    expect(simSl?.status).toBe('CANCELLED');
  }, 60_000);
});

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
