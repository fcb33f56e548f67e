/**
 * sim.db indexes working orders alone (orders_working, open = 1): the orders
 * table is read by that flag only at connect, and an index over every order's
 * flag cost each order placed and filled at once a page of its own commit.
 * What must hold: connect lists exactly the working orders, through that
 * index, also from a file written before it (whose old index goes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimOrderRecord } from './store.js';
import { SimStore } from './store.js';

let dir: string | null = null;
let store: SimStore | null = null;
afterEach(() => {
  store?.close();
  store = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

const record = (orderId: string, status: string): SimOrderRecord => ({ state: { orderId, status, updatedAt: '2026-12-03T06:00:00.000Z' }, ocaGroup: null }) as unknown as SimOrderRecord;

/** The file as SimStore left it: its indexes, the plan of the connect-time listing, and the entries of the working index. */
function onDisk(dataDir: string): { indexes: string[]; plan: string; indexed: number } {
  const db = new Database(join(dataDir, 'sim.db'), { readonly: true });
  try {
    const indexes = db.prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'orders' AND sql IS NOT NULL ORDER BY name").all().map((r) => r.name);
    const plan = db
      .prepare<[], { detail: string }>('EXPLAIN QUERY PLAN SELECT record FROM orders WHERE open = 1 ORDER BY CAST(order_id AS INTEGER), order_id')
      .all()
      .map((r) => r.detail)
      .join('; ');
    const hasIndex = indexes.includes('orders_working');
    const indexed = hasIndex ? (db.prepare<[], { n: number }>('SELECT count(*) AS n FROM orders INDEXED BY orders_working WHERE open = 1').get()?.n ?? 0) : -1;
    return { indexes, plan, indexed };
  } finally {
    db.close();
  }
}

describe('sim.db working-order index', () => {
  it('lists the working orders through an index that holds them alone', () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-working-'));
    store = new SimStore(dir);
    store.transaction(() => {
      store?.saveOrder(record('1', 'FILLED'), false);
      store?.saveOrder(record('2', 'SUBMITTED'), true);
      store?.saveOrder(record('3', 'CANCELLED'), false);
      store?.saveOrder(record('10', 'ACCEPTED'), true);
    });
    expect(store.openOrders().map((o) => o.state.orderId)).toEqual(['2', '10']);
    const file = onDisk(dir);
    expect(file.indexes).toEqual(['orders_working']);
    expect(file.plan).toContain('USING INDEX orders_working');
    expect(file.indexed).toBe(2);
    // An order that finishes leaves the index.
    store.saveOrder(record('2', 'FILLED'), false);
    expect(store.openOrders().map((o) => o.state.orderId)).toEqual(['10']);
    expect(onDisk(dir).indexed).toBe(1);
  });

  it('a file written before it keeps its working orders and loses the index over every order', () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-working-'));
    const old = new Database(join(dir, 'sim.db'));
    old.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO meta VALUES ('schema_version', '1');
      CREATE TABLE orders (order_id TEXT PRIMARY KEY, open INTEGER NOT NULL, record TEXT NOT NULL, updated_at TEXT NOT NULL);
      CREATE INDEX orders_open ON orders(open);
    `);
    const insert = old.prepare('INSERT INTO orders VALUES (?, ?, ?, ?)');
    for (const [id, open, status] of [['7', 1, 'SUBMITTED'], ['8', 0, 'FILLED'], ['9', 1, 'ACCEPTED']] as const) insert.run(id, open, JSON.stringify(record(id, status)), '2026-12-03T06:00:00.000Z');
    old.close();
    store = new SimStore(dir);
    expect(store.openOrders().map((o) => o.state.orderId)).toEqual(['7', '9']);
    expect(onDisk(dir)).toEqual({ indexes: ['orders_working'], plan: expect.stringContaining('USING INDEX orders_working') as unknown as string, indexed: 2 });
  });
});
