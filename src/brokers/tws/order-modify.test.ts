/**
 * Modifications particular to the tws adapter over the TWS emulator: a refusal
 * from IBKR leaves the order working (it is not marked REJECTED), and the
 * cases refused without sending anything: an order IBKR has not acknowledged
 * yet, and a second modification while one waits for its answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OrderSpec, type Contract, type OrderSpecInput } from '../../core/models.js';
import { makeTwsHarness, type TwsHarness } from '../../testing/tws-harness.js';

let h: TwsHarness | null = null;
afterEach(async () => {
  await h?.cleanup();
  h = null;
});

async function setup(): Promise<{ x: TwsHarness; aapl: Contract; account: string; far: number }> {
  const x = await makeTwsHarness();
  h = x;
  await x.broker.connect();
  const [aapl] = await x.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
  if (!aapl) throw new Error('AAPL did not resolve');
  const quote = await x.broker.getQuote(aapl);
  const far = Number((Math.floor(((quote.bid ?? 100) * 0.5) / aapl.minTick) * aapl.minTick).toFixed(2));
  return { x, aapl, account: x.broker.accounts()[0] ?? '', far };
}

describe('tws broker modifyOrder', () => {
  it('keeps the order working when IBKR refuses the new version (105), and takes a valid one after', async () => {
    const { x, aapl, account, far } = await setup();
    const base: OrderSpecInput = { symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 2, orderType: 'LMT', limitPrice: far, timeInForce: 'GTC' };
    const [orderId] = await x.broker.allocateOrderIds(1);
    if (!orderId) throw new Error('no id');
    await x.broker.placeOrder({ ids: { orderId }, contract: aapl, spec: OrderSpec.parse(base), accountId: account, orderRef: 'mod-1' });
    await x.until('the order to work', () => x.broker.getOrder(orderId).then((o) => o?.status === 'ACCEPTED'));

    const refused = await x.broker.modifyOrder({ orderId, contract: aapl, spec: OrderSpec.parse({ ...base, action: 'SELL' }), accountId: account, orderRef: 'mod-1' });
    expect(refused.accepted).toBe(false);
    expect(refused.message).toMatch(/IBKR 105/);
    expect(refused.state.status).toBe('ACCEPTED');
    expect((await x.broker.getOrder(orderId))?.spec.action).toBe('BUY');

    const taken = await x.broker.modifyOrder({ orderId, contract: aapl, spec: OrderSpec.parse({ ...base, quantity: 3 }), accountId: account, orderRef: 'mod-1' });
    expect(taken).toMatchObject({ accepted: true, state: { status: 'ACCEPTED', remainingQuantity: 3, spec: { quantity: 3 } } });
    // The broker behind the emulator works the amended order.
    expect((await x.sim.getOpenOrders()).find((o) => o.spec.limitPrice === far)?.spec.quantity).toBe(3);

    // A change of time in force and outsideRth alone is recognised in IBKR's answer too.
    const terms = await x.broker.modifyOrder({ orderId, contract: aapl, spec: OrderSpec.parse({ ...base, quantity: 3, timeInForce: 'DAY', outsideRth: true }), accountId: account, orderRef: 'mod-1' });
    expect(terms).toMatchObject({ accepted: true, state: { spec: { timeInForce: 'DAY', outsideRth: true, quantity: 3 } } });
  });

  it('refuses without sending: an order not yet acknowledged, and a second modification while one is in flight', async () => {
    const { x, aapl, account, far } = await setup();
    const base: OrderSpecInput = { symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 2, orderType: 'LMT', limitPrice: far, timeInForce: 'GTC' };
    const [orderId] = await x.broker.allocateOrderIds(1);
    if (!orderId) throw new Error('no id');
    const placing = x.broker.placeOrder({ ids: { orderId }, contract: aapl, spec: OrderSpec.parse(base), accountId: account, orderRef: 'mod-2' });
    const early = await x.broker.modifyOrder({ orderId, contract: aapl, spec: OrderSpec.parse({ ...base, quantity: 1 }), accountId: account, orderRef: 'mod-2' });
    expect(early.accepted).toBe(false);
    expect(early.message).toMatch(/not been acknowledged/);
    await placing;
    await x.until('the order to work', () => x.broker.getOrder(orderId).then((o) => o?.status === 'ACCEPTED'));

    const first = x.broker.modifyOrder({ orderId, contract: aapl, spec: OrderSpec.parse({ ...base, quantity: 4 }), accountId: account, orderRef: 'mod-2' });
    const second = await x.broker.modifyOrder({ orderId, contract: aapl, spec: OrderSpec.parse({ ...base, quantity: 5 }), accountId: account, orderRef: 'mod-2' });
    expect(second.accepted).toBe(false);
    expect(second.message).toMatch(/still waiting/);
    expect((await first).accepted).toBe(true);
    expect((await x.broker.getOrder(orderId))?.spec.quantity).toBe(4);
  });
});
