/**
 * sim.db's fills table (fills-table.ts): fills read back in the order they were booked, an execution is
 * booked once per order, and a fill's commit writes the table and its two indexes, nothing more (no
 * sqlite_sequence page). A file written with the first layout keeps its fills, in their order, and later
 * fills come after them.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Fill } from '../../core/models.js';
import { SimStore } from './store.js';

let dir: string | null = null;
let store: SimStore | null = null;
afterEach(() => {
  store?.close();
  store = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

const fill = (orderId: string, n: number, time: string): Fill => ({
  execId: `0001a2b3.${orderId}.${String(n).padStart(2, '0')}.01`,
  orderId,
  time,
  side: 'BUY',
  quantity: 1,
  price: 100 + n,
  commission: 1,
  commissionCurrency: 'USD',
  realizedPnl: null,
  exchange: 'NASDAQ',
});

/** The file's fills schema: its table's SQL, its indexes, whether it has a sqlite_sequence row, and the plans of the read by order. */
function fillsSchema(dataDir: string): { autoincrement: boolean; indexes: string[]; sequenceRows: number; byOrder: string } {
  const db = new Database(join(dataDir, 'sim.db'), { readonly: true });
  try {
    const sql = db.prepare<[], { sql: string }>("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'fills'").get()?.sql ?? '';
    const indexes = db.prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'fills' ORDER BY name").all().map((r) => r.name);
    const hasSequence = db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'").get() !== undefined;
    const sequenceRows = hasSequence ? (db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_sequence WHERE name = 'fills'").get()?.n ?? 0) : 0;
    const plan = (q: string): string => db.prepare<[], { detail: string }>(`EXPLAIN QUERY PLAN ${q}`).all().map((r) => r.detail).join('; ');
    return {
      autoincrement: /AUTOINCREMENT/i.test(sql),
      indexes,
      sequenceRows,
      byOrder: plan("SELECT fill FROM fills WHERE order_id = '7' ORDER BY seq"),
    };
  } finally {
    db.close();
  }
}

/** The b-trees whose pages the WAL frames after byte `from` of sim.db-wal hold (by dbstat), each once. */
function btreesWritten(dataDir: string, from: number): string[] {
  const wal = readFileSync(join(dataDir, 'sim.db-wal'));
  const pages = new Set<number>();
  for (let at = Math.max(32, from); at + 24 <= wal.length; at += 24 + 4096) pages.add(wal.readUInt32BE(at));
  const db = new Database(join(dataDir, 'sim.db'), { readonly: true });
  try {
    const names = new Map(db.prepare<[], { name: string; pageno: number }>('SELECT name, pageno FROM dbstat').all().map((r) => [r.pageno, r.name]));
    return [...new Set([...pages].map((p) => names.get(p) ?? `page ${p}`))].sort();
  } finally {
    db.close();
  }
}

describe('sim.db fills table', () => {
  it('reads fills back in booking order, by order through its index, and books an execution once', () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-fills-'));
    store = new SimStore(dir);
    const s = store;
    // Booked out of time order (an order id's text order is not its booking order either).
    s.transaction(() => {
      s.addFill(fill('10', 1, '2026-12-03T15:00:02.000Z'), 1, 'DU1');
      s.addFill(fill('9', 1, '2026-12-03T15:00:01.000Z'), 1, 'DU1');
      s.addFill(fill('10', 2, '2026-12-03T15:00:03.000Z'), 1, 'DU1');
    });
    expect(s.fills().map((f) => f.execId)).toEqual(['0001a2b3.10.01.01', '0001a2b3.9.01.01', '0001a2b3.10.02.01']);
    expect(s.fills({ orderId: '10' }).map((f) => f.price)).toEqual([101, 102]);
    expect(s.filledQuantity('10')).toBe(2);
    expect(s.fills({ since: '2026-12-03T15:00:02.000Z', accountId: 'DU1' }).map((f) => f.execId)).toEqual(['0001a2b3.10.01.01', '0001a2b3.10.02.01']);
    expect(() => s.addFill(fill('9', 1, '2026-12-03T15:00:04.000Z'), 1, 'DU1')).toThrow(/UNIQUE/);
    // Inside a transaction fills wait for its COMMIT: they are read back before it, and a second booking still fails at once.
    s.transaction(() => {
      s.addFill(fill('11', 1, '2026-12-03T15:00:05.000Z'), 1, 'DU1');
      expect(s.filledQuantity('11')).toBe(1);
      s.addFill(fill('11', 2, '2026-12-03T15:00:06.000Z'), 1, 'DU1');
      expect(() => s.addFill(fill('11', 2, '2026-12-03T15:00:07.000Z'), 1, 'DU1')).toThrow(/UNIQUE/);
      expect(s.fills({ orderId: '11' }).map((f) => f.execId)).toEqual(['0001a2b3.11.01.01', '0001a2b3.11.02.01']);
    });
    expect(() => s.transaction(() => s.addFill(fill('10', 1, '2026-12-03T15:00:08.000Z'), 1, 'DU1'))).toThrow(/UNIQUE/);
    expect(s.fills({ orderId: '11' }).map((f) => f.price)).toEqual([101, 102]);
    expect(fillsSchema(dir)).toEqual({
      autoincrement: false,
      indexes: ['fills_order_exec', 'fills_time'],
      sequenceRows: 0,
      byOrder: expect.stringContaining('USING INDEX fills_order_exec') as unknown as string,
    });
  });

  it("a fill's commit writes the fills table and its two indexes, and no sqlite_sequence page", () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-fills-'));
    store = new SimStore(dir);
    const s = store;
    s.transaction(() => s.addFill(fill('1', 1, '2026-12-03T15:00:00.000Z'), 1, 'DU1'));
    const before = readFileSync(join(dir, 'sim.db-wal')).length;
    s.transaction(() => s.addFill(fill('2', 1, '2026-12-03T15:00:01.000Z'), 1, 'DU1'));
    expect(btreesWritten(dir, before)).toEqual(['fills', 'fills_order_exec', 'fills_time']);
  });

  it('a file with the first layout keeps its fills in their order, and new fills come after them', () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-fills-'));
    const old = new Database(join(dir, 'sim.db'));
    old.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO meta VALUES ('schema_version', '1');
      CREATE TABLE fills (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, exec_id TEXT NOT NULL UNIQUE, order_id TEXT NOT NULL, con_id INTEGER NOT NULL,
        account_id TEXT NOT NULL, time TEXT NOT NULL, fill TEXT NOT NULL);
      CREATE INDEX fills_time ON fills(time);
      CREATE INDEX fills_order ON fills(order_id);
    `);
    const insert = old.prepare('INSERT INTO fills (exec_id, order_id, con_id, account_id, time, fill) VALUES (?, ?, ?, ?, ?, ?)');
    for (const f of [fill('8', 1, '2026-12-03T15:00:05.000Z'), fill('3', 1, '2026-12-03T15:00:01.000Z'), fill('8', 2, '2026-12-03T15:00:06.000Z')]) insert.run(f.execId, f.orderId, 7, 'DU1', f.time, JSON.stringify(f));
    old.close();

    store = new SimStore(dir);
    expect(store.fills().map((f) => [f.execId, f.conId])).toEqual([
      ['0001a2b3.8.01.01', 7],
      ['0001a2b3.3.01.01', 7],
      ['0001a2b3.8.02.01', 7],
    ]);
    store.addFill(fill('2', 1, '2026-12-03T15:00:00.000Z'), 7, 'DU1');
    expect(store.fills().map((f) => f.execId).at(-1)).toBe('0001a2b3.2.01.01');
    expect(() => store?.addFill(fill('8', 2, '2026-12-03T15:00:07.000Z'), 7, 'DU1')).toThrow(/UNIQUE/);
    store.close();

    // Opened again: nothing left to move, the same fills.
    store = new SimStore(dir);
    expect(store.fills().map((f) => f.execId)).toEqual(['0001a2b3.8.01.01', '0001a2b3.3.01.01', '0001a2b3.8.02.01', '0001a2b3.2.01.01']);
    expect(fillsSchema(dir)).toMatchObject({ autoincrement: false, indexes: ['fills_order_exec', 'fills_time'], sequenceRows: 0 });
  });
});
