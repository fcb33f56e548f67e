/**
 * SimStore writes an order saved several times in one transaction once, with
 * its last save, just before the transaction commits (an order placed and
 * filled at once was written twice in the one commit). What must hold: reads
 * inside the transaction see the last save, the file holds what committed,
 * and saves inside a savepoint that rolled back are forgotten.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
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

const open = (): SimStore => {
  dir = mkdtempSync(join(tmpdir(), 'sim-orders-'));
  store = new SimStore(dir);
  return store;
};

/** Only the fields these tests read; the store keeps whatever record it is given as JSON. */
const record = (orderId: string, status: string, updatedAt = '2026-12-03T06:00:00.000Z'): SimOrderRecord =>
  ({ state: { orderId, status, updatedAt }, ocaGroup: null }) as unknown as SimOrderRecord;

const rowsOnDisk = (): Array<{ order_id: string; open: number; status: string }> => {
  const db = new Database(join(dir as string, 'sim.db'), { readonly: true });
  try {
    return db
      .prepare<[], { order_id: string; open: number; record: string }>('SELECT order_id, open, record FROM orders ORDER BY order_id')
      .all()
      .map((r) => ({ order_id: r.order_id, open: r.open, status: (JSON.parse(r.record) as SimOrderRecord).state.status }));
  } finally {
    db.close();
  }
};

describe('sim.db orders saved in a transaction', () => {
  it('an order saved twice in one transaction is read back as its last save and committed as it', () => {
    const s = open();
    s.transaction(() => {
      s.saveOrder(record('7', 'SUBMITTED'), true);
      expect(s.order('7')?.state.status).toBe('SUBMITTED');
      s.saveOrder(record('7', 'FILLED'), false);
      expect(s.order('7')?.state.status).toBe('FILLED');
      expect(s.openOrders()).toEqual([]);
    });
    expect(rowsOnDisk()).toEqual([{ order_id: '7', open: 0, status: 'FILLED' }]);
    expect(s.commits).toBe(2); // the schema version at open, then this transaction
  });

  it('an order is committed as its record stands at COMMIT, and read back before it as a copy', () => {
    const s = open();
    const rec = record('5', 'SUBMITTED');
    s.transaction(() => {
      s.saveOrder(rec, true);
      // The engine goes on from the record in memory: a fill in the same transaction changes it and saves it again.
      rec.state.status = 'FILLED';
      const read = s.order('5');
      expect(read?.state.status).toBe('FILLED');
      if (read) read.state.status = 'CANCELLED';
      s.saveOrder(rec, false);
    });
    expect(rowsOnDisk()).toEqual([{ order_id: '5', open: 0, status: 'FILLED' }]);
    expect(rec.state.status).toBe('FILLED');
  });

  it('saves inside a savepoint that rolled back are forgotten; the ones before it commit', () => {
    const s = open();
    s.transaction(() => {
      s.saveOrder(record('1', 'SUBMITTED'), true);
      expect(() =>
        s.transaction(() => {
          s.saveOrder(record('1', 'CANCELLED'), false);
          s.saveOrder(record('2', 'SUBMITTED'), true);
          throw new Error('the amendment failed');
        }),
      ).toThrow('the amendment failed');
      expect(s.order('2')).toBeNull();
    });
    expect(rowsOnDisk()).toEqual([{ order_id: '1', open: 1, status: 'SUBMITTED' }]);
  });

  it('within() joins the transaction in progress: no commit of its own, and an error in it rolls back the whole', () => {
    const s = open();
    const before = s.commits;
    s.transaction(() => {
      s.saveOrder(record('1', 'SUBMITTED'), true);
      s.within(() => s.saveOrder(record('2', 'SUBMITTED'), true));
    });
    expect(s.commits).toBe(before + 1);
    expect(rowsOnDisk()).toEqual([
      { order_id: '1', open: 1, status: 'SUBMITTED' },
      { order_id: '2', open: 1, status: 'SUBMITTED' },
    ]);
    expect(() =>
      s.transaction(() => {
        s.saveOrder(record('1', 'FILLED'), false);
        s.within(() => {
          s.saveOrder(record('2', 'FILLED'), false);
          throw new Error('the fill failed');
        });
      }),
    ).toThrow('the fill failed');
    expect(rowsOnDisk().map((r) => r.status)).toEqual(['SUBMITTED', 'SUBMITTED']);
  });

  it('within() outside a transaction is a transaction of its own', () => {
    const s = open();
    const before = s.commits;
    s.within(() => {
      s.saveOrder(record('1', 'SUBMITTED'), true);
      s.saveOrder(record('1', 'FILLED'), false);
    });
    expect(s.commits).toBe(before + 1);
    expect(rowsOnDisk()).toEqual([{ order_id: '1', open: 0, status: 'FILLED' }]);
    expect(() =>
      s.within(() => {
        s.saveOrder(record('2', 'SUBMITTED'), true);
        throw new Error('refused');
      }),
    ).toThrow('refused');
    expect(s.order('2')).toBeNull();
  });

  it('a transaction that throws writes none of its saves', () => {
    const s = open();
    s.saveOrder(record('1', 'SUBMITTED'), true);
    expect(() =>
      s.transaction(() => {
        s.saveOrder(record('1', 'FILLED'), false);
        throw new Error('the fill failed');
      }),
    ).toThrow('the fill failed');
    expect(s.order('1')?.state.status).toBe('SUBMITTED');
    expect(rowsOnDisk()).toEqual([{ order_id: '1', open: 1, status: 'SUBMITTED' }]);
  });

  it('finds an order stored above the id counter, and reads nothing for an id above every stored or saved one', () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-orders-'));
    // An older version placed an id its caller chose without moving the id counter.
    const older = new SimStore(dir);
    older.saveOrder(record('5000', 'SUBMITTED'), true);
    older.close();
    const s = (store = new SimStore(dir));
    s.prepareOrderIds();
    expect(s.peekNextOrderId()).toBe(1);
    const probe = new Database(':memory:');
    const get = vi.spyOn(Object.getPrototypeOf(probe.prepare('SELECT 1')) as { get: (...args: unknown[]) => unknown }, 'get');
    probe.close();
    try {
      expect(s.order('5000')?.state.status).toBe('SUBMITTED');
      expect(s.order('4999')).toBeNull();
      expect(get).toHaveBeenCalledTimes(2);
      expect(s.order('5001')).toBeNull();
      expect(get).toHaveBeenCalledTimes(2);
      s.saveOrder(record('5001', 'SUBMITTED'), true);
      expect(s.order('5001')?.state.status).toBe('SUBMITTED');
      // Not the canonical text of an integer: looked up.
      expect(s.order('05002')).toBeNull();
      expect(get).toHaveBeenCalledTimes(4);
    } finally {
      get.mockRestore();
    }
  });
});
