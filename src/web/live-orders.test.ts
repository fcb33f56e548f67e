/**
 * The dashboard's order lists take copies of orders from two sources that
 * race: the REST list and the order event stream (which may replay events the
 * list already reflects). Whatever the arrival order, the newest version of
 * each order is what is shown, and an order the stream brought while the list
 * was loading stays.
 */
import { describe, expect, it } from 'vitest';
import { LiveOrders } from './app/live-orders.js';
import { TERMINAL_STATUSES, type OrderDetail } from './app/types.js';

function order(orderId: string, version: number, status = 'ACCEPTED', createdAt = `2026-12-02T15:00:0${orderId}.000Z`): OrderDetail {
  return {
    orderId,
    clientOrderId: null,
    parentOrderId: null,
    role: 'ENTRY',
    accountId: 'DU1234567',
    status,
    spec: { symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 10 * version, orderType: 'LMT', timeInForce: 'DAY', outsideRth: false, limitPrice: 100 },
    filledQuantity: 0,
    remainingQuantity: 10,
    avgFillPrice: null,
    commission: null,
    fills: [],
    statusMessage: null,
    createdAt,
    updatedAt: createdAt,
    version,
  };
}

const openOnly = () => new LiveOrders((o) => !TERMINAL_STATUSES.has(o.status));
const ids = (list: LiveOrders) => list.list().map((o) => `${o.orderId}v${o.version}`);

describe('an order list fed by a REST list and the order event stream', () => {
  it('shows the newest version whichever comes first; a replayed older event changes nothing', () => {
    const list = openOnly();
    list.beginLoad();
    list.loaded([order('1', 3)]);
    expect(list.apply(order('1', 2))).toBe(false);
    expect(ids(list)).toEqual(['1v3']);
    expect(list.apply(order('1', 4))).toBe(true);
    expect(list.get('1')?.spec.quantity).toBe(40);
  });

  it('an order that finished by an event does not come back with an older list', () => {
    const list = openOnly();
    list.beginLoad();
    list.apply(order('1', 3, 'CANCELLED'));
    list.loaded([order('1', 2, 'ACCEPTED'), order('2', 1)]);
    expect(ids(list)).toEqual(['2v1']);
  });

  it('an order the stream brought while the list was loading is kept, newest first', () => {
    const list = openOnly();
    list.beginLoad();
    list.apply(order('3', 1));
    list.loaded([order('1', 1), order('2', 1)]);
    expect(ids(list)).toEqual(['3v1', '2v1', '1v1']);
  });

  it('an order leaves the open list when it finishes, and a filter change reloads under the new rule', () => {
    const list = openOnly();
    list.beginLoad();
    list.loaded([order('1', 1), order('2', 1)]);
    expect(list.apply(order('1', 2, 'FILLED'))).toBe(true);
    expect(ids(list)).toEqual(['2v1']);
    list.beginLoad((o) => o.status === 'FILLED');
    list.loaded([order('1', 2, 'FILLED')]);
    expect(ids(list)).toEqual(['1v2']);
    expect(list.apply(order('2', 2, 'CANCELLED'))).toBe(false);
  });

  it('lists at most the limit asked, newest first; equal times fall back to the order id as a number', () => {
    const list = new LiveOrders(() => true);
    list.beginLoad();
    const at = '2026-12-02T15:00:00.000Z';
    list.loaded([order('9', 1, 'ACCEPTED', at), order('10', 1, 'ACCEPTED', at), order('8', 1, 'ACCEPTED', at)]);
    expect(list.list(2).map((o) => o.orderId)).toEqual(['10', '9']);
  });
});
