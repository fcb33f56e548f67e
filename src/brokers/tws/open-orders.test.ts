/**
 * Working orders for the order path without a round trip per order: with
 * `maxAgeMs`, the tws broker answers from a listing (reqAllOpenOrders) asked
 * for at most that long ago, with its own orders as they are now (TWS pushes
 * their every change to the client that placed them), and renews the listing
 * in the background once it is half that old. Without it, TWS is asked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OrderSpec, type Contract } from '../../core/models.js';
import { makeTwsHarness, type TwsHarness } from '../../testing/tws-harness.js';

let h: TwsHarness | null = null;

afterEach(async () => {
  await h?.cleanup();
  h = null;
});

/** A harness with the adapter's outgoing messages counted by name. */
async function setup(): Promise<{ x: TwsHarness; aapl: Contract; account: string; sent: (what: string) => number; order: string[] }> {
  const x = await makeTwsHarness();
  h = x;
  await x.broker.connect();
  const [aapl] = await x.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
  if (!aapl) throw new Error('AAPL did not resolve');
  const counts = new Map<string, number>();
  const order: string[] = [];
  const send = x.broker.conn.send.bind(x.broker.conn);
  x.broker.conn.send = (what, fn) => {
    counts.set(what, (counts.get(what) ?? 0) + 1);
    // In the order they reach the socket.
    return send(what, (ib) => {
      order.push(what);
      fn(ib);
    });
  };
  return { x, aapl, account: x.broker.accounts()[0] ?? '', sent: (what) => counts.get(what) ?? 0, order };
}

/** A resting limit order far below the market, so it stays working. */
async function restingSpec(x: TwsHarness, aapl: Contract): Promise<OrderSpec> {
  const quote = await x.broker.getQuote(aapl);
  const far = Number((Math.floor(((quote.bid ?? 100) * 0.5) / aapl.minTick) * aapl.minTick).toFixed(2));
  return OrderSpec.parse({ symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: far, timeInForce: 'GTC' });
}

describe('tws broker open orders for the order path', () => {
  it('answers from a recent listing with its own new order in it, without asking TWS again', async () => {
    const { x, aapl, account, sent } = await setup();
    const spec = await restingSpec(x, aapl);
    await x.broker.getOpenOrders(); // a listing, just now
    const before = sent('reqAllOpenOrders');

    const [orderId] = await x.broker.allocateOrderIds(1);
    if (!orderId) throw new Error('no id');
    await x.broker.placeOrder({ ids: { orderId }, contract: aapl, spec, accountId: account, orderRef: 'mine' });
    const open = await x.broker.getOpenOrders({ maxAgeMs: 60_000 });

    expect(open.map((o) => o.orderId)).toContain(orderId);
    expect(sent('reqAllOpenOrders')).toBe(before);
  });

  it("shows another client's order once a listing is renewed, and at once when no age is allowed", async () => {
    const { x, aapl, account, sent } = await setup();
    const spec = await restingSpec(x, aapl);
    await x.broker.getOpenOrders();
    // Placed at the broker behind the emulator: an order this client did not place (TWS itself, another client).
    const [foreignId] = await x.sim.allocateOrderIds(1);
    if (!foreignId) throw new Error('no id');
    await x.sim.placeOrder({ ids: { orderId: foreignId }, contract: aapl, spec, accountId: account, orderRef: 'elsewhere' });
    const foreign = (orders: { orderRef: string | null }[]): number => orders.filter((o) => o.orderRef === 'elsewhere').length;

    expect(foreign(await x.broker.getOpenOrders({ maxAgeMs: 60_000 }))).toBe(0);
    const asked = sent('reqAllOpenOrders');
    expect(foreign(await x.broker.getOpenOrders({ maxAgeMs: 0 }))).toBe(1);
    expect(sent('reqAllOpenOrders')).toBe(asked + 1);
    expect(foreign(await x.broker.getOpenOrders())).toBe(1);
  });

  it('renews a listing older than half the allowed age in the background, answering at once', async () => {
    const { x, aapl, account, sent } = await setup();
    const spec = await restingSpec(x, aapl);
    await x.broker.getOpenOrders();
    const [foreignId] = await x.sim.allocateOrderIds(1);
    if (!foreignId) throw new Error('no id');
    await x.sim.placeOrder({ ids: { orderId: foreignId }, contract: aapl, spec, accountId: account, orderRef: 'elsewhere' });
    await new Promise((r) => setTimeout(r, 60));
    const asked = sent('reqAllOpenOrders');

    // 60 ms old, allowed 100: answered from the listing (without the new order), renewed behind the answer
    // (a moment later, with no order placed meanwhile).
    const first = await x.broker.getOpenOrders({ maxAgeMs: 100 });
    expect(first.some((o) => o.orderRef === 'elsewhere')).toBe(false);
    await x.until('the renewal to be sent', () => sent('reqAllOpenOrders') === asked + 1);
    await x.until('the renewed listing to show the order', async () => (await x.broker.getOpenOrders({ maxAgeMs: 60_000 })).some((o) => o.orderRef === 'elsewhere'));
    expect(sent('reqAllOpenOrders')).toBe(asked + 1);
  });

  it("sends a renewal asked for by an order's checks behind that order's own message, not ahead of it", async () => {
    const { x, aapl, account, order } = await setup();
    const spec = await restingSpec(x, aapl);
    await x.broker.getOpenOrders();
    await new Promise((r) => setTimeout(r, 60));
    const [orderId] = await x.broker.allocateOrderIds(1);
    if (!orderId) throw new Error('no id');
    const from = order.length;

    // As the core does: the working orders for its risk checks (a listing old enough to renew), then the order.
    await x.broker.getOpenOrders({ maxAgeMs: 100 });
    await x.broker.placeOrder({ ids: { orderId }, contract: aapl, spec, accountId: account, orderRef: 'mine' });
    await x.until('the renewal to be sent', () => order.slice(from).includes('reqAllOpenOrders'));
    expect(order.slice(from)).toEqual(['placeOrder', 'reqAllOpenOrders']);
  });
});
