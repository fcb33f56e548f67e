/**
 * The adapter's book of orders, as found by IBKR's permId: orders placed outside the API arrive with order
 * id 0 and completed orders with none, so they are matched by permId, including orders kept in
 * tws-orders.db, without a scan of the whole history per message. At start the book holds only the orders
 * still working; a finished one is read from the file when it is asked for.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerOrderState } from '../../core/broker/port.js';
import type { TwsContext } from './context.js';
import { OrderBook } from './order-book.js';
import { OrderStore } from './order-store.js';

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanup.splice(0).reverse()) f();
});

function storeIn(dir: string): OrderStore {
  const store = new OrderStore(dir);
  cleanup.push(() => store.close());
  return store;
}

function bookOn(store: OrderStore): OrderBook {
  // The book uses the context only to stamp and announce changes.
  const ctx = { nowIso: () => '2026-12-03T15:00:00.000Z', emit: () => undefined } as unknown as TwsContext;
  return new OrderBook(ctx, store);
}

const order = (orderId: string): BrokerOrderState => ({
  orderId, parentOrderId: null, role: 'ENTRY', accountId: 'DU1234567', orderRef: orderId, conId: 265598,
  spec: { symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: 100, timeInForce: 'GTC', outsideRth: false },
  status: 'SUBMITTED', filledQuantity: 0, remainingQuantity: 1, avgFillPrice: null, commission: null, message: null, updatedAt: '2026-12-03T14:00:00.000Z',
});

describe('orders by permId', () => {
  it('finds an order by the permId it was tracked with, or noted later, and gives its id for an order id of 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tws-order-book-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const book = bookOn(storeIn(dir));
    book.track(order('41'), 9001);
    const later = book.track(order('42'), null);
    expect(book.findByPermId(9002)).toBeUndefined();
    book.notePermId(later, 9002);
    expect(book.findByPermId(9001)?.state.orderId).toBe('41');
    expect(book.idFor(0, 9002)).toBe('42');
    // Unknown permIds and IBKR's "none yet" (0) match nothing.
    expect(book.idFor(0, 7)).toBe('p7');
    expect(book.findByPermId(0)).toBeUndefined();
    expect(book.findByPermId(null)).toBeUndefined();
  });

  it('no longer finds an order by a permId it has since left', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tws-order-book-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const book = bookOn(storeIn(dir));
    const t = book.track(order('41'), 9001);
    book.notePermId(t, 9005);
    expect(book.findByPermId(9001)).toBeUndefined();
    expect(book.findByPermId(9005)?.state.orderId).toBe('41');
  });

  it('finds orders loaded from tws-orders.db at start by their stored permId', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tws-order-book-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const first = new OrderStore(dir);
    first.transaction(() => {
      for (let i = 1; i <= 2000; i++) first.saveOrder(order(String(i)), 50_000 + i);
    });
    first.close();
    const book = bookOn(storeIn(dir));
    expect(book.findByPermId(51_234)?.state.orderId).toBe('1234');
    expect(book.idFor(0, 52_000)).toBe('2000');
  });

  it('starts holding only the working orders; a finished one is read from the file by id or permId when asked for', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tws-order-book-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const first = new OrderStore(dir);
    const filled = (id: string): BrokerOrderState => ({ ...order(id), status: 'FILLED', filledQuantity: 1, remainingQuantity: 0, avgFillPrice: 100 });
    first.transaction(() => {
      for (let i = 1; i <= 2000; i++) first.saveOrder(i % 500 === 0 ? order(String(i)) : filled(String(i)), 50_000 + i);
    });
    first.close();
    const book = bookOn(storeIn(dir));
    // Orders 500, 1000, 1500 and 2000 are still working: only they are held.
    expect(book.entries().map((t) => t.state.orderId)).toEqual(['500', '1000', '1500', '2000']);
    // By our id (a late execution, getOrder): the finished order as it was kept.
    expect(book.get('1234')).toMatchObject({ orderId: '1234', status: 'FILLED', filledQuantity: 1 });
    expect(book.has('1235')).toBe(true);
    expect(book.has('9999')).toBe(false);
    // By the permId IBKR names it with (a completed-orders report, an execution of an order placed elsewhere).
    expect(book.findByPermId(50_777)?.state.orderId).toBe('777');
    expect(book.idFor(0, 50_778)).toBe('778');
    expect(book.findByPermId(59_999)).toBeUndefined();
    // Held from then on, and still finished whatever a late status says.
    book.update('777', { status: 'CANCELLED' });
    expect(book.get('777')?.status).toBe('FILLED');
    expect(book.entries()).toHaveLength(8);
  });

  it('answers a permId the order has since left in memory by the order held, not by the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tws-order-book-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = storeIn(dir);
    const book = bookOn(store);
    const t = book.track(order('41'), 9001);
    store.flush();
    // The new permId is held in memory (persisted with the order's next change): the file still says 9001.
    book.notePermId(t, 9005);
    expect(book.findByPermId(9001)).toBeUndefined();
    expect(book.findByPermId(9005)?.state.orderId).toBe('41');
  });
});
