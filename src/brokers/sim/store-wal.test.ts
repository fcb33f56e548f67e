/**
 * sim.db's WAL is copied into sim.db by a worker thread every 250 commits,
 * never inside a commit on the event loop (SQLite's own checkpoint synced
 * the WAL's 4 MB there, stalling the next order), and close() returns only
 * once that worker's connection is closed: the folder can be removed at once
 * and nothing writes into it afterwards.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
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

/** Frames in sim.db's WAL now: mxFrame in the WAL-index header (-shm, offset 16, native order; sqlite.org/walformat.html). */
const walFrames = (dataDir: string): number => {
  const header = readFileSync(join(dataDir, 'sim.db-shm')).subarray(0, 48);
  return endianness() === 'LE' ? header.readUInt32LE(16) : header.readUInt32BE(16);
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

  it('writers that wait on writesHeld() never make the connection finish a round on the event loop, and the WAL stays bounded', async () => {
    // Commits with no pause between rounds of the event loop (as under 32 REST clients) overtake every worker pass:
    // the connection used to copy the rest itself (catchUps, two fsyncs on the event loop). A writer that waits
    // while the last pass runs, as placeOrder does, lets the worker end the round on the WAL's last frame.
    const d = dataDir();
    const store = new SimStore(d);
    try {
      const value = (i: number): string => `${i}:${'x'.repeat(1_000)}`;
      // Rounds, not time: the worker starts at the first round and a loaded machine makes each one slower.
      const done = (): boolean => store.walStats.checkpoints >= 6 && store.walStats.heldPasses >= 2;
      for (let i = 0; !done() && i < 200 * SIM_CHECKPOINT_EVERY_COMMITS; i++) {
        const held = store.writesHeld();
        if (held !== null) await held;
        store.transaction(() => store.setMeta('counter', value(i)));
        // The worker's report arrives between two requests' turns of the loop.
        await new Promise((r) => setImmediate(r));
      }
      expect(done()).toBe(true);
      expect(store.walStats.catchUps).toBe(0);
      // The WAL restarted: it holds the frames of the last round or so (each commit writes one or two), not all of them.
      expect(walFrames(d)).toBeLessThan(4 * SIM_CHECKPOINT_EVERY_COMMITS);
    } finally {
      store.close();
    }
  });
});
