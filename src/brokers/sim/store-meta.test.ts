/**
 * SimStore remembers the meta values it read or wrote (sim.db is one
 * process's alone) and skips writing a value that did not change; inside a
 * transaction the values set are written together, in one statement, just
 * before it commits. What must hold: the file always ends up with what the
 * account last committed, also after a transaction that wrote a value was
 * rolled back, and reads see the values set so far.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SimStore } from './store.js';

let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

const onDisk = (dataDir: string, key: string): string | null => {
  const db = new Database(join(dataDir, 'sim.db'), { readonly: true });
  try {
    return (db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(key)?.value) ?? null;
  } finally {
    db.close();
  }
};

describe('sim.db meta values', () => {
  it('a value written in a transaction that rolled back is written again when it is set again', () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-meta-'));
    const store = new SimStore(dir);
    try {
      store.setMeta('cash', '100');
      expect(() =>
        store.transaction(() => {
          store.setMeta('cash', '250');
          throw new Error('the fill failed after the totals were written');
        }),
      ).toThrow('the fill failed');
      expect(onDisk(dir, 'cash')).toBe('100');
      expect(store.meta('cash')).toBe('100');
      store.setMeta('cash', '250');
      expect(onDisk(dir, 'cash')).toBe('250');
    } finally {
      store.close();
    }
  });

  it('the same for a savepoint rolled back inside a transaction that commits', () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-meta-'));
    const store = new SimStore(dir);
    try {
      store.transaction(() => {
        store.setMeta('fees', '1');
        try {
          store.transaction(() => {
            store.setMeta('fees', '2');
            throw new Error('inner step refused');
          });
        } catch {
          // the outer step goes on without it
        }
        expect(store.meta('fees')).toBe('1');
      });
      expect(onDisk(dir, 'fees')).toBe('1');
      store.setMeta('fees', '2');
      expect(onDisk(dir, 'fees')).toBe('2');
    } finally {
      store.close();
    }
  });

  it("a transaction's meta values are read back inside it and written in one statement just before it commits", () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-meta-'));
    const store = new SimStore(dir);
    // Every prepared statement shares one prototype: count the meta writes among all runs.
    const probe = new Database(':memory:');
    const run = vi.spyOn(Object.getPrototypeOf(probe.prepare('SELECT 1')) as { run: (...args: unknown[]) => unknown }, 'run');
    probe.close();
    try {
      store.transaction(() => {
        store.setMeta('cash', '90');
        store.setMeta('commissions', '1');
        store.setMeta('fees', '0.5');
        store.setMeta('cash', '80');
        expect(store.meta('cash')).toBe('80');
        expect(onDisk(dir as string, 'cash')).toBeNull();
      });
      const metaWrites = run.mock.contexts.filter((st) => (st as { source: string }).source.includes('meta'));
      expect(metaWrites).toHaveLength(1);
      expect([onDisk(dir, 'cash'), onDisk(dir, 'commissions'), onDisk(dir, 'fees')]).toEqual(['80', '1', '0.5']);
    } finally {
      run.mockRestore();
      store.close();
    }
  });

  it('an order id mark moved in a transaction that rolled back is written again before ids past the stored mark are handed out', () => {
    // A crash would restart the counter from the stored mark: an id handed out before it would be handed out again.
    dir = mkdtempSync(join(tmpdir(), 'sim-meta-'));
    const store = new SimStore(dir);
    try {
      store.prepareOrderIds(); // the counter at 1, the mark at 1,001
      expect(() =>
        store.transaction(() => {
          store.reserveOrderId('600'); // the counter at 601, the mark moved to 1,601
          throw new Error('the placement failed');
        }),
      ).toThrow('the placement failed');
      const ids = store.allocateOrderIds(900);
      expect(Number(onDisk(dir, 'next_order_id'))).toBeGreaterThan(Number(ids[ids.length - 1]));
    } finally {
      store.close();
    }
  });

  it('counters read from the file after a restart continue where they were', () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-meta-'));
    const first = new SimStore(dir);
    expect([first.nextExecSeq(), first.nextExecSeq(), first.nextExecSeq()]).toEqual([1, 2, 3]);
    first.close();
    const second = new SimStore(dir);
    try {
      expect(second.nextExecSeq()).toBe(4);
    } finally {
      second.close();
    }
  });
});
