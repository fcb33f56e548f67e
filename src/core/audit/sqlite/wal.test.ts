/**
 * The SQLite store's WAL off the event loop: a durable write resolves only
 * after an fdatasync of the WAL that started after its commit (wal-sync.ts),
 * a relaxed one never waits for one, a failed sync refuses the write and
 * every later one, and checkpoints run in a worker thread every N commits
 * instead of inside a commit (wal-checkpointer.ts).
 */
import { copyFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entry, tempDir, version } from '../../../testing/audit/samples.js';
import { AuditQuery } from '../../models.js';
import { auditDbPath, openAuditStore, type SqliteAuditStore } from './store.js';
import { WalSync } from './wal-sync.js';

let dir: string;
let cleanup: () => void;
let store: SqliteAuditStore;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(async () => {
  await store.close();
  cleanup();
});

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('durable writes sync the WAL off the event loop', () => {
  it('a durable write resolves after a WAL sync; relaxed writes make none', async () => {
    store = openAuditStore({ dataDir: dir, synchronous: 'FULL' });
    const before = store.groupStats.walSyncs;
    await store.append(entry(), { durability: 'relaxed' });
    await store.append(entry(), { durability: 'relaxed' });
    expect(store.groupStats.walSyncs).toBe(before);
    await store.recordOrder(entry({ orderId: '7' }), version('7', 'PENDING_SUBMIT'));
    expect(store.groupStats.walSyncs).toBe(before + 1);
  });

  it('durable writes committed in successive turns never need more syncs than commits', async () => {
    store = openAuditStore({ dataDir: dir, synchronous: 'FULL' });
    const before = { ...store.groupStats };
    const writes: Promise<unknown>[] = [];
    for (let i = 1; i <= 20; i++) {
      writes.push(store.recordOrder(entry({ orderId: String(i) }), version(String(i), 'PENDING_SUBMIT')));
      await nextTurn();
    }
    await Promise.all(writes);
    const batches = store.groupStats.batches - before.batches;
    const syncs = store.groupStats.walSyncs - before.walSyncs;
    expect(batches).toBe(20);
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(syncs).toBeLessThanOrEqual(batches);
    expect((await store.verify()).ok).toBe(true);
  });

  it('at synchronous NORMAL nothing is synced', async () => {
    store = openAuditStore({ dataDir: dir, synchronous: 'NORMAL' });
    await store.append(entry());
    expect(store.groupStats.walSyncs).toBe(0);
  });

  it('a WAL that cannot be synced refuses the durable write and every later write', async () => {
    store = openAuditStore({ dataDir: dir, synchronous: 'FULL' });
    // The WAL file removed under the running store: SQLite keeps writing its open descriptor, but the file cannot be synced.
    unlinkSync(`${auditDbPath(dir)}-wal`);
    await expect(store.append(entry())).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    await expect(store.append(entry(), { durability: 'relaxed' })).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    await expect(store.beginIdempotent('s', 'k', 'o', 'h', { durability: 'relaxed' })).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
  });

  it('WalSync on a missing file fails once and stays failed', async () => {
    store = openAuditStore({ dataDir: dir, synchronous: 'NORMAL' });
    const sync = new WalSync(`${dir}/no-such-file-wal`);
    await expect(sync.afterCommit()).rejects.toThrow(/could not make the audit log durable/);
    await expect(sync.afterCommit()).rejects.toThrow(/no-such-file-wal/);
    sync.closeNow();
  });
});

describe('WAL checkpoints run in a worker thread', () => {
  it('commits never checkpoint on the connection; once the WAL holds N frames a worker copies it into audit.db', async () => {
    store = openAuditStore({ dataDir: dir, synchronous: 'FULL', walCheckpointAtFrames: 120 });
    const checkpoints = async (n: number): Promise<number> => {
      for (let waited = 0; store.groupStats.walCheckpoints < n && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      return store.groupStats.walCheckpoints;
    };
    // Small commits, one order each (about 12 frames; the file's set-up about 50): fewer frames than the trigger.
    for (let i = 1; i <= 4; i++) await store.recordOrder(entry({ orderId: String(i) }), version(String(i), 'PENDING_SUBMIT'));
    expect(store.groupStats.walCheckpoints).toBe(0);
    // One commit of 40 orders with 4 KB of event data each (asked for in one turn) passes it at once: the WAL's size counts, not the commits.
    const batch = Array.from({ length: 40 }, (_, i) => String(5 + i));
    const before = store.groupStats.batches;
    await Promise.all(batch.map((id) => store.recordOrder(entry({ orderId: id, eventData: { note: 'x'.repeat(4000) } }), version(id, 'PENDING_SUBMIT'))));
    expect(store.groupStats.batches - before).toBe(1);
    expect(await checkpoints(1)).toBe(1);
    // What the worker copied is in the database file itself: a copy of audit.db without its WAL has the rows.
    const copyDir = tempDir();
    copyFileSync(auditDbPath(dir), join(copyDir.dir, 'audit.db'));
    const fileOnly = new Database(join(copyDir.dir, 'audit.db'));
    try {
      const copied = fileOnly.prepare('SELECT COUNT(*) AS n FROM order_history').get() as { n: number };
      expect(copied.n).toBeGreaterThanOrEqual(5);
    } finally {
      fileOnly.close();
      copyDir.cleanup();
    }
    expect((await store.query(AuditQuery.parse({ limit: 100 }))).entries).toHaveLength(44);
    expect((await store.verify()).ok).toBe(true);
  });
});
