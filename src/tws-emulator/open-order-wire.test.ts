/**
 * Golden tests of the emulator's openOrder, the other direction of the wire:
 * an order working at the simulator (placed there directly, so the emulator
 * knows it only from the broker) is reported to a real @stoqey/ib client with
 * the Order fields IBKR documents for its type (see src/ibkr/order-map.test.ts),
 * checked field by field, not by reading them back through our own map.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventName, type Order } from '@stoqey/ib';
import { OrderSpec, type Contract, type OrderSpecInput } from '../core/models.js';
import { makeHarness, type Harness } from '../testing/emulator-harness.js';

let h: Harness;
let aapl: Contract;

beforeEach(async () => {
  h = await makeHarness();
  const [c] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
  if (!c) throw new Error('AAPL missing from the simulator');
  aapl = c;
});

afterEach(async () => {
  for (const c of h.clients) expect(c.decoderErrors()).toEqual([]);
  await h.close();
});

/** Far from AAPL's simulated price, so every order rests. */
const LOW = 50;
const HIGH = 900;

/** Double.MAX_VALUE: how TWS says "unset" for a price it sends. */
const UNSET = 1.7976931348623157e308;
const unset = (v: unknown): boolean => v === undefined || v === null || v === UNSET;

const cases: { name: string; spec: Partial<OrderSpecInput>; order: Partial<Order>; unsetFields: (keyof Order)[] }[] = [
  { name: 'LMT GTC', spec: { orderType: 'LMT', limitPrice: LOW, timeInForce: 'GTC' }, order: { orderType: 'LMT' as Order['orderType'], lmtPrice: LOW, tif: 'GTC' }, unsetFields: ['auxPrice', 'trailStopPrice', 'trailingPercent'] },
  { name: 'STP: the stop in auxPrice', spec: { orderType: 'STP', stopPrice: HIGH }, order: { orderType: 'STP' as Order['orderType'], auxPrice: HIGH, tif: 'DAY' }, unsetFields: ['lmtPrice', 'trailStopPrice'] },
  { name: 'STP LMT', spec: { orderType: 'STP_LMT', stopPrice: HIGH, limitPrice: HIGH + 1, outsideRth: true }, order: { orderType: 'STP LMT' as Order['orderType'], lmtPrice: HIGH + 1, auxPrice: HIGH, outsideRth: true }, unsetFields: ['trailStopPrice'] },
  { name: 'TRAIL by amount: auxPrice, with trailStopPrice', spec: { orderType: 'TRAIL', trailingAmount: 2, stopPrice: HIGH }, order: { orderType: 'TRAIL' as Order['orderType'], auxPrice: 2, trailStopPrice: HIGH }, unsetFields: ['lmtPrice', 'trailingPercent'] },
  { name: 'TRAIL by percent', spec: { orderType: 'TRAIL', trailingPercent: 5.5, stopPrice: HIGH }, order: { orderType: 'TRAIL' as Order['orderType'], trailingPercent: 5.5, trailStopPrice: HIGH }, unsetFields: ['lmtPrice', 'auxPrice'] },
  { name: 'TRAIL LIMIT by offset', spec: { orderType: 'TRAIL_LIMIT', trailingAmount: 1, limitOffset: 0.05, stopPrice: HIGH }, order: { orderType: 'TRAIL LIMIT' as Order['orderType'], auxPrice: 1, lmtPriceOffset: 0.05, trailStopPrice: HIGH }, unsetFields: ['lmtPrice', 'trailingPercent'] },
  { name: 'MOC', spec: { orderType: 'MOC' }, order: { orderType: 'MOC' as Order['orderType'], tif: 'DAY' }, unsetFields: ['lmtPrice', 'auxPrice'] },
  { name: 'LOC: the limit in lmtPrice, DAY', spec: { orderType: 'LOC', limitPrice: LOW }, order: { orderType: 'LOC' as Order['orderType'], lmtPrice: LOW, tif: 'DAY' }, unsetFields: ['auxPrice'] },
  { name: 'GTD with a goodAfterTime: both in IBKR\'s UTC form', spec: { orderType: 'LMT', limitPrice: LOW, timeInForce: 'GTD', goodAfterTime: '2026-01-05T14:00:00Z', goodTillDate: '2026-01-09T21:00:00Z' }, order: { orderType: 'LMT' as Order['orderType'], tif: 'GTD', goodAfterTime: '20260105-14:00:00', goodTillDate: '20260109-21:00:00' }, unsetFields: ['auxPrice'] },
  { name: 'OPG (market-on-open) as MKT with tif OPG, even when the spec says DAY', spec: { orderType: 'OPG', timeInForce: 'DAY' }, order: { orderType: 'MKT' as Order['orderType'], tif: 'OPG' }, unsetFields: ['lmtPrice', 'auxPrice'] },
  { name: 'an OCA member', spec: { orderType: 'LMT', limitPrice: LOW, ocaGroup: 'golden-oca' }, order: { orderType: 'LMT' as Order['orderType'], lmtPrice: LOW, ocaGroup: 'golden-oca' }, unsetFields: ['auxPrice'] },
];

describe('openOrder as the emulator writes it and @stoqey/ib reads it', () => {
  it.each(cases)('$name', async ({ spec: input, order: expected, unsetFields }) => {
    const spec = OrderSpec.parse({ symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 100, ...input });
    const [orderId] = await h.broker.allocateOrderIds(1);
    if (!orderId) throw new Error('no id');
    const ack = await h.broker.placeOrder({ ids: { orderId }, contract: aapl, spec, accountId: 'DU1234567', orderRef: 'golden-open' });
    expect(ack.status).toBe('ACCEPTED');

    const c = await h.connect(31);
    c.ib.reqAllOpenOrders();
    await c.waitFor(EventName.openOrderEnd);
    const reported = c.all(EventName.openOrder).map((a) => a[2] as Order).filter((o) => o.orderRef === 'golden-open');
    expect(reported).toHaveLength(1);
    const order = reported[0] as Order;
    expect(order).toMatchObject({ action: 'BUY', totalQuantity: 100, account: 'DU1234567', ...expected });
    for (const field of unsetFields) expect(unset(order[field]), `${String(field)} is ${String(order[field])}`).toBe(true);
  });
});
