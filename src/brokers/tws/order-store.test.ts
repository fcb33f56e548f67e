/**
 * tws-orders.db, what the adapter keeps across restarts: an order's legs and
 * the ids they use are written together before the order is sent (one commit,
 * so a crash leaves all of them or none), and a reopened file has them, with
 * the highest id used and every fill reported once. What TWS says about orders
 * afterwards is written behind, a moment later, in one commit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerOrderState } from '../../core/broker/port.js';
import Database from 'better-sqlite3';
import { FILLS_OF_SQL, ORDER_ID_BLOCK, OrderStore } from './order-store.js';

const dirs: string[] = [];
const stores: OrderStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const dataDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'tws-order-store-'));
  dirs.push(d);
  return d;
};
const open = (d: string): OrderStore => {
  const s = new OrderStore(d);
  stores.push(s);
  return s;
};
const reopen = (d: string, s: OrderStore): OrderStore => {
  s.close();
  stores.splice(stores.indexOf(s), 1);
  return open(d);
};

const leg = (orderId: string, parentOrderId: string | null, role: BrokerOrderState['role']): BrokerOrderState => ({
  orderId, parentOrderId, role, accountId: 'DU1234567', orderRef: '41', conId: 265598,
  spec: { symbol: 'AAPL', securityType: 'STK', action: role === 'ENTRY' ? 'BUY' : 'SELL', quantity: 1, orderType: 'LMT', limitPrice: 100, timeInForce: 'GTC', outsideRth: false },
  status: 'PENDING_SUBMIT', filledQuantity: 0, remainingQuantity: 1, avgFillPrice: null, commission: null, message: null, updatedAt: '2026-12-03T03:00:00.000Z',
});

describe('tws-orders.db', () => {
  it("keeps an order's legs and the ids they use after a reopen, written as one commit", () => {
    const d = dataDir();
    let store = open(d);
    store.transaction(() => {
      for (const [id, parent, role] of [['41', null, 'ENTRY'], ['42', '41', 'TAKE_PROFIT'], ['43', '41', 'STOP_LOSS']] as const) {
        store.noteOrderId(Number(id));
        store.saveOrder(leg(id, parent, role), null);
      }
    });
    store = reopen(d, store);
    expect(store.highestOrderId()).toBe(43);
    expect(store.orders().map((o) => [o.state.orderId, o.state.parentOrderId, o.state.role])).toEqual([
      ['41', null, 'ENTRY'],
      ['42', '41', 'TAKE_PROFIT'],
      ['43', '41', 'STOP_LOSS'],
    ]);
  });

  it('writes none of them when the commit fails part way', () => {
    const d = dataDir();
    let store = open(d);
    expect(() =>
      store.transaction(() => {
        store.noteOrderId(41);
        store.saveOrder(leg('41', null, 'ENTRY'), null);
        throw new Error('the process fails before the last leg');
      }),
    ).toThrow('the process fails before the last leg');
    store = reopen(d, store);
    expect(store.highestOrderId()).toBe(0);
    expect(store.orders()).toEqual([]);
  });

  it('never lowers the highest id, and reports each execution once across a reopen', () => {
    const d = dataDir();
    let store = open(d);
    store.noteOrderId(50);
    store.noteOrderId(45);
    const fill = { execId: 'e1', orderId: '50', time: '2026-12-03T03:00:01.000Z', side: 'BUY' as const, quantity: 1, price: 100, exchange: 'NASDAQ', commission: 1, commissionCurrency: 'USD', realizedPnl: null };
    store.addFill(fill, 'DU1234567');
    store.addFill({ ...fill, price: 999 }, 'DU1234567');
    store = reopen(d, store);
    expect(store.highestOrderId()).toBe(50);
    expect(store.hasFill('e1')).toBe(true);
    expect(store.hasFill('e2')).toBe(false);
    expect(store.fillsOf('50')).toEqual([fill]);
    expect(store.fill('e1')).toEqual(fill);
    expect(store.lastFillTime()).toBe(fill.time);
  });

  it("covers an order's id with the recorded highest id a block ahead, rewriting it only when an id passes what was committed", () => {
    const d = dataDir();
    const store = open(d);
    const recorded = (): number => {
      const file = new Database(join(d, 'tws-orders.db'));
      const v = Number(file.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'highest_order_id'").get()?.value ?? 0);
      file.close();
      return v;
    };
    const place = (id: number): void =>
      store.transaction(() => {
        store.coverOrderId(id);
        store.saveOrder(leg(String(id), null, 'ENTRY'), null);
      });
    place(41);
    expect(recorded()).toBe(41 + ORDER_ID_BLOCK);
    // Another connection records a lower number (it never does: the recorded number only grows); 42 is covered
    // by what this connection committed, so its commit does not write the number at all.
    const other = new Database(join(d, 'tws-orders.db'));
    other.prepare("UPDATE meta SET value = '7' WHERE key = 'highest_order_id'").run();
    place(42);
    expect(recorded()).toBe(7);
    // Past the block it is raised again; a higher number another connection recorded is never lowered.
    place(41 + ORDER_ID_BLOCK + 1);
    expect(recorded()).toBe(41 + 2 * ORDER_ID_BLOCK + 1);
    other.prepare("UPDATE meta SET value = '100000' WHERE key = 'highest_order_id'").run();
    other.close();
    place(41 + 2 * ORDER_ID_BLOCK + 2);
    expect(recorded()).toBe(100000);
  });

  it('covers nothing with a commit that failed: the next order records its id again', () => {
    const d = dataDir();
    let store = open(d);
    expect(() =>
      store.transaction(() => {
        store.coverOrderId(41);
        throw new Error('the commit fails');
      }),
    ).toThrow('the commit fails');
    store.transaction(() => {
      store.coverOrderId(42);
      store.saveOrder(leg('42', null, 'ENTRY'), null);
    });
    store = reopen(d, store);
    expect(store.highestOrderId()).toBe(42 + ORDER_ID_BLOCK);
  });

  it('writes what TWS says about an order behind, as one commit a moment later, and serves it meanwhile', async () => {
    const d = dataDir();
    const store = open(d);
    const fill = { execId: 'e1', orderId: '41', time: '2026-12-03T03:00:01.000Z', side: 'BUY' as const, quantity: 1, price: 100, exchange: 'NASDAQ', commission: 1, commissionCurrency: 'USD', realizedPnl: null };
    const kept = { ...fill, execId: 'e0', time: '2026-12-03T03:00:00.000Z' };
    store.addFill(kept, 'DU1234567');
    store.flush();
    const submitted = { ...leg('41', null, 'ENTRY'), status: 'SUBMITTED' as const };
    const filled = { ...submitted, status: 'FILLED' as const, filledQuantity: 1, remainingQuantity: 0 };
    store.saveOrder(submitted, 7);
    store.addFill(fill, 'DU1234567');
    store.addFill({ ...fill, price: 999 }, 'DU1234567');
    store.saveOrder(filled, 7);
    // Another reader of the file sees none of it yet; this store answers with it.
    const file = new Database(join(d, 'tws-orders.db'), { readonly: true });
    const count = (): number => file.prepare<[], { n: number }>("SELECT (SELECT COUNT(*) FROM orders) + (SELECT COUNT(*) FROM fills WHERE exec_id = 'e1') AS n").get()?.n ?? -1;
    expect(count()).toBe(0);
    expect(store.hasFill('e1')).toBe(true);
    expect(store.fill('e1')).toEqual(fill);
    expect(store.fillsOf('41')).toEqual([kept, fill]);
    await new Promise((r) => setTimeout(r, 20));
    // Committed together, the order's latest state only, the execution once.
    expect(count()).toBe(2);
    file.close();
    const again = reopen(d, store);
    expect(again.orders()).toEqual([{ state: filled, permId: 7 }]);
    expect(again.fillsOf('41')).toEqual([kept, fill]);
  });

  it('drops the held writes, all of them, and says so when their commit fails (reconciliation settles them from IBKR)', async () => {
    const d = dataDir();
    const errors: unknown[] = [];
    const store = new OrderStore(d, (err) => errors.push(err));
    stores.push(store);
    // Another connection makes every fill insert fail, as a full or failing disk would.
    const other = new Database(join(d, 'tws-orders.db'));
    other.exec("CREATE TRIGGER refuse_fills BEFORE INSERT ON fills BEGIN SELECT RAISE(ABORT, 'the disk refused the write'); END");
    const fill = { execId: 'e1', orderId: '41', time: '2026-12-03T03:00:01.000Z', side: 'BUY' as const, quantity: 1, price: 100, exchange: 'NASDAQ', commission: 1, commissionCurrency: 'USD', realizedPnl: null };
    store.saveOrder({ ...leg('41', null, 'ENTRY'), status: 'SUBMITTED' }, 7);
    store.addFill(fill, 'DU1234567');
    await new Promise((r) => setTimeout(r, 20));
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('the disk refused the write');
    other.exec('DROP TRIGGER refuse_fills');
    other.close();
    // One commit, so neither the state nor the fill was written, and nothing is held any more.
    expect(store.orders()).toEqual([]);
    expect(store.hasFill('e1')).toBe(false);
    // The store goes on: the next held write commits.
    store.saveOrder(leg('42', null, 'ENTRY'), null);
    store.flush();
    expect(store.orders().map((o) => o.state.orderId)).toEqual(['42']);
    expect(errors).toHaveLength(1);
  });

  it('commits held writes with the next transaction, and on close', () => {
    const d = dataDir();
    let store = open(d);
    const working = { ...leg('41', null, 'ENTRY'), status: 'SUBMITTED' as const };
    store.saveOrder(working, null);
    store.transaction(() => {
      store.noteOrderId(42);
      store.saveOrder(leg('42', null, 'ENTRY'), null);
    });
    const file = new Database(join(d, 'tws-orders.db'), { readonly: true });
    expect(file.prepare<[], { order_id: string }>('SELECT order_id FROM orders ORDER BY order_id').all().map((r) => r.order_id)).toEqual(['41', '42']);
    file.close();
    const fill = { execId: 'e1', orderId: '42', time: '2026-12-03T03:00:01.000Z', side: 'BUY' as const, quantity: 1, price: 100, exchange: 'NASDAQ', commission: 1, commissionCurrency: 'USD', realizedPnl: null };
    store.addFill(fill, null);
    store = reopen(d, store);
    expect(store.hasFill('e1')).toBe(true);
    expect(store.orders().map((o) => o.state.orderId)).toEqual(['41', '42']);
  });

  it("finds an order's fills through an index, not by reading every fill kept (one is read per execution, for the order's totals)", () => {
    const d = dataDir();
    const store = open(d);
    const fill = (execId: string, orderId: string, time: string) => ({ execId, orderId, time, side: 'BUY' as const, quantity: 1, price: 100, exchange: 'NASDAQ', commission: 1, commissionCurrency: 'USD', realizedPnl: null });
    store.transaction(() => {
      for (let i = 0; i < 200; i++) store.addFill(fill(`x${i}`, String(1000 + i), `2026-12-03T03:00:00.${String(i % 1000).padStart(3, '0')}Z`), 'DU1234567');
    });
    const late = fill('e2', '50', '2026-12-03T03:00:02.000Z');
    const early = fill('e1', '50', '2026-12-03T03:00:01.000Z');
    store.addFill(late, 'DU1234567');
    store.addFill(early, 'DU1234567');
    expect(store.fillsOf('50')).toEqual([early, late]);
    // SQLite's own account of how it reads them: a search of the index on (order_id, time), never a scan of the table.
    const db = new Database(join(d, 'tws-orders.db'), { readonly: true });
    const plan = db.prepare<[string], { detail: string }>(`EXPLAIN QUERY PLAN ${FILLS_OF_SQL}`).all('50').map((r) => r.detail).join(' | ');
    db.close();
    expect(plan).toMatch(/SEARCH fills USING (COVERING )?INDEX fills_by_order \(order_id=\?\)/);
    expect(plan).not.toMatch(/SCAN fills|TEMP B-TREE/);
  });
});
