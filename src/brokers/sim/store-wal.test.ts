/**
 * sim.db's WAL is copied into sim.db by a worker thread every 250 commits,
 * never inside a commit on the event loop (SQLite's own checkpoint synced
 * the WAL's 4 MB there, stalling the next order), and close() returns only
 * once that worker's connection is closed: the folder can be removed at once
 * and nothing writes into it afterwards.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SIM_CHECKPOINT_EVERY_COMMITS, SimStore } from './store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const dataDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'sim-wal-'));
  dirs.push(d);
  return d;
};

/** The value sim.db's own file holds, without its WAL (what a checkpoint has copied). */
const inFileOnly = (dataDir: string, key: string): string | null => {
  const copy = mkdtempSync(join(tmpdir(), 'sim-wal-copy-'));
  try {
    copyFileSync(join(dataDir, 'sim.db'), join(copy, 'sim.db'));
    const db = new Database(join(copy, 'sim.db'), { readonly: true });
    try {
      // Before the first checkpoint not even the schema is in the file.
      const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'meta'").get() !== undefined;
      return hasMeta ? (db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(key)?.value ?? null) : null;
    } finally {
      db.close();
    }
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
};

/**
 * inFileOnly while the worker may be copying into the file: a copy of sim.db taken mid-checkpoint can
 * hold pages of two states (SQLite reads it as malformed), which says only that the copy is not done.
 */
const whenCopied = (dataDir: string, key: string): string | null => {
  try {
    return inFileOnly(dataDir, key);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') return null;
    throw err;
  }
};

describe('sim.db checkpoints', () => {
  it('no commit copies the WAL on the event loop; every 250 commits a worker does, and close() leaves nothing behind', async () => {
    const d = dataDir();
    const store = new SimStore(d);
    let closed = false;
    try {
      // Up to the threshold no commit copies anything into the file (the store's first commit is its schema version).
      const value = (i: number): string => `${i}:${'x'.repeat(1_000)}`;
      const last = SIM_CHECKPOINT_EVERY_COMMITS - 1;
      for (let i = 1; i < last; i++) store.setMeta('counter', value(i));
      expect(inFileOnly(d, 'counter')).toBeNull();
      store.setMeta('counter', value(last));
      let copied: string | null = null;
      for (let waited = 0; copied === null && waited < 10_000; waited += 20) {
        await new Promise((r) => setTimeout(r, 20));
        copied = whenCopied(d, 'counter');
      }
      expect(copied).toBe(value(last));
      store.close();
      closed = true;
      // The worker's connection closed before the store's: the last connection removed the WAL.
      expect(readdirSync(d).filter((f) => f.startsWith('sim.db')).sort()).toEqual(['sim.db']);
      rmSync(d, { recursive: true });
      await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(d)).toBe(false);
    } finally {
      if (!closed) store.close();
    }
  });
});
