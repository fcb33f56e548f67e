/**
 * When the tws broker's listeners hear its events: after the TWS messages that
 * raised them are handled (so an acknowledgement never waits behind a listener
 * writing to disk), in the order raised, never after the listener was removed,
 * and all of them by the time close() returns.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OrderSpec, type Contract } from '../../core/models.js';
import type { BrokerOrderState, ConnectionEvent } from '../../core/broker/port.js';
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

async function buy(x: TwsHarness, aapl: Contract, account: string): Promise<string> {
  const [orderId] = await x.broker.allocateOrderIds(1);
  if (!orderId) throw new Error('no order id');
  const spec = OrderSpec.parse({ symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 1, orderType: 'MKT', timeInForce: 'DAY' });
  await x.broker.placeOrder({ ids: { orderId }, contract: aapl, spec, accountId: account, orderRef: `ev-${orderId}` });
  return orderId;
}

describe('tws broker event delivery', () => {
  it('reports an order\'s statuses in the order TWS sent them, ending FILLED', async () => {
    const { x, aapl, account } = await setup();
    const seen: BrokerOrderState[] = [];
    x.broker.on('orderStatus', (s) => seen.push(s));
    const orderId = await buy(x, aapl, account);
    await x.until('the fill reported', () => seen.some((s) => s.orderId === orderId && s.status === 'FILLED'));
    const mine = seen.filter((s) => s.orderId === orderId);
    expect(mine.at(-1)?.status).toBe('FILLED');
    expect(mine.map((s) => s.filledQuantity)).toEqual([...mine.map((s) => s.filledQuantity)].sort((a, b) => a - b));
  });

  it('does not call a listener once it is removed, even for events raised before', async () => {
    const { x, aapl, account } = await setup();
    let attached = true;
    const late: BrokerOrderState[] = [];
    const off = x.broker.on('orderStatus', (s) => {
      if (!attached) late.push(s);
    });
    const orderId = await buy(x, aapl, account);
    // The acknowledgement's TCP read raised statuses that are not delivered yet: removing the listener now must win.
    attached = false;
    off();
    await x.until('filled', async () => (await x.broker.getOrder(orderId))?.status === 'FILLED');
    await new Promise((r) => setTimeout(r, 20));
    expect(late).toEqual([]);
  });

  it('delivers the close\'s own disconnected event before close() returns', async () => {
    const { x } = await setup();
    const events: ConnectionEvent[] = [];
    x.broker.on('connection', (e) => events.push(e));
    await x.broker.close();
    expect(events.at(-1)?.state).toBe('disconnected');
  });
});
