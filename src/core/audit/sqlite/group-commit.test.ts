/**
 * Group commit on SQLite: writes asked for in one event-loop turn share one
 * transaction (one fsync at synchronous=FULL), and a batch whose transaction
 * cannot commit leaves nothing half-written: each write is tried again alone,
 * and what still fails is refused with AUDIT_UNAVAILABLE.
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entry, tempDir, version } from '../../../testing/audit/samples.js';
import { AuditQuery } from '../../models.js';
import { auditDbPath, openAuditStore, type SqliteAuditStore } from './store.js';

let dir: string;
let cleanup: () => void;
let store: SqliteAuditStore;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  store = openAuditStore({ dataDir: dir, synchronous: 'FULL', busyTimeoutMs: 50 });
});
afterEach(async () => {
  await store.close();
  cleanup();
});

describe('group commit', () => {
  it('32 orders asked for in one turn are one transaction', async () => {
    const before = store.groupStats.batches;
    const ids = Array.from({ length: 32 }, (_, i) => String(i + 1));
    await Promise.all(ids.map((id) => store.recordOrder(entry({ orderId: id }), version(id, 'SUBMITTED'))));
    expect(store.groupStats.batches - before).toBe(1);
    expect(store.groupStats.largestBatch).toBe(32);
  });

  it('writes asked for in later turns are later transactions', async () => {
    const before = store.groupStats.batches;
    await store.append(entry({ orderId: 'a' }));
    await store.append(entry({ orderId: 'b' }));
    expect(store.groupStats.batches - before).toBe(2);
  });

  it('a batch of relaxed writes is handed to the WAL sync as it commits, so the next durable write syncs only its own pages', async () => {
    await store.append(entry());
    const before = store.groupStats.walSyncs;
    await store.append(entry(), { durability: 'relaxed' });
    // Started as the batch committed; the relaxed write's caller did not wait for it.
    expect(store.groupStats.walSyncs).toBe(before + 1);
    // A durable write after it still waits for a sync that started after its own commit.
    await store.append(entry());
    expect(store.groupStats.walSyncs).toBe(before + 2);
    expect((await store.verify()).ok).toBe(true);
  });

  it('a batch that cannot commit (another process holds the write lock) refuses every write and writes none', async () => {
    const holder = new Database(auditDbPath(dir));
    try {
      holder.exec('BEGIN IMMEDIATE');
      const results = await Promise.allSettled(['1', '2', '3'].map((id) => store.recordOrder(entry({ orderId: id }), version(id, 'SUBMITTED'))));
      expect(results.every((r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'AUDIT_UNAVAILABLE')).toBe(true);
      holder.exec('ROLLBACK');
    } finally {
      holder.close();
    }
    expect((await store.query(AuditQuery.parse({}))).entries).toHaveLength(0);
    // Refused cleanly: the store writes again, from row 1, chain intact.
    expect((await store.append(entry())).id).toBe(1);
    expect((await store.verify()).ok).toBe(true);
  });
});
