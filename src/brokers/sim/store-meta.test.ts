/**
 * SimStore remembers the meta values it read or wrote (sim.db is one
 * process's alone) and skips writing a value that did not change. What must
 * hold: the file always ends up with what the account last committed, also
 * after a transaction that wrote a value was rolled back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
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
      });
      expect(onDisk(dir, 'fees')).toBe('1');
      store.setMeta('fees', '2');
      expect(onDisk(dir, 'fees')).toBe('2');
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
