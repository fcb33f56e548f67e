/**
 * Chain heads are held in memory for the length of one write transaction
 * (chain-heads.ts) and written once per chain before COMMIT. What must not
 * change: every row links to the row before it, a write rolled back alone
 * inside a batch takes the head it moved with it, and chain_heads names the
 * last committed row of each chain. Between batches the heads are remembered
 * only while no other connection has committed (PRAGMA data_version).
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entry, tempDir, version } from '../../../testing/audit/samples.js';
import { auditDbPath, openAuditStore, type SqliteAuditStore } from './store.js';

let dir: string;
let cleanup: () => void;
let store: SqliteAuditStore;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  store = openAuditStore({ dataDir: dir, synchronous: 'NORMAL' });
});
afterEach(async () => {
  await store.close();
  cleanup();
});

const headsOnDisk = (): Record<string, number> => {
  const db = new Database(auditDbPath(dir), { readonly: true });
  try {
    return Object.fromEntries(db.prepare<[], { chain: string; last_id: number }>('SELECT chain, last_id FROM chain_heads').all().map((r) => [r.chain, r.last_id]));
  } finally {
    db.close();
  }
};

describe('chain heads within a batch', () => {
  it('a batch of many rows links each to the one before and leaves chain_heads at its last rows', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.recordOrder(entry({ orderId: String(i + 1) }), version(String(i + 1)))));
    expect(store.groupStats.largestBatch).toBe(20);
    expect(headsOnDisk()).toMatchObject({ audit_log: 20, order_history: 20 });
    expect(await store.verify()).toMatchObject({ ok: true });
  });

  it('a write rolled back inside a batch (its audit row was written, its order version refused) gives its head back', async () => {
    await store.recordOrder(entry({ orderId: '1' }), version('1', 'SUBMITTED', { clientOrderId: 'c-1' }));
    // The middle write reuses c-1: its audit_log row is inserted, then the order_history insert fails and its SAVEPOINT is rolled back.
    const results = await Promise.allSettled([
      store.recordOrder(entry({ orderId: '2' }), version('2')),
      store.recordOrder(entry({ orderId: '3' }), version('3', 'SUBMITTED', { clientOrderId: 'c-1' })),
      store.recordOrder(entry({ orderId: '4' }), version('4')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // Row ids stay contiguous: the refused write's audit row id was handed to the next write.
    const ids = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.entry.id] : []));
    expect(ids).toEqual([2, 3]);
    expect(headsOnDisk()).toMatchObject({ audit_log: 3, order_history: 3 });
    expect(await store.verify()).toMatchObject({ ok: true });
    expect((await store.append(entry())).id).toBe(4);
    expect(await store.verify()).toMatchObject({ ok: true });
  });
});

describe('chain heads between batches', () => {
  it('heads remembered from the last batch are given up when another connection has committed since', async () => {
    await store.recordOrder(entry({ orderId: '1' }), version('1'));
    const other = openAuditStore({ dataDir: dir, synchronous: 'NORMAL' });
    try {
      expect((await other.append(entry())).id).toBe(2);
      await other.recordOrder(entry({ orderId: '2' }), version('2'));
    } finally {
      await other.close();
    }
    // The first store chains after the other's rows, not after what it remembered of its own.
    const next = await store.recordOrder(entry({ orderId: '3' }), version('3'));
    expect(next.entry.id).toBe(4);
    expect(next.order.version).toBe(1);
    expect(headsOnDisk()).toMatchObject({ audit_log: 4, order_history: 3 });
    expect(await store.verify()).toMatchObject({ ok: true });
  });

  it('a batch whose every write was refused leaves the remembered heads where the table has them', async () => {
    await store.recordOrder(entry({ orderId: '1' }), version('1', 'SUBMITTED', { clientOrderId: 'c-1' }));
    await expect(store.recordOrder(entry({ orderId: '2' }), version('2', 'SUBMITTED', { clientOrderId: 'c-1' }))).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect((await store.append(entry())).id).toBe(2);
    expect(headsOnDisk()).toMatchObject({ audit_log: 2, order_history: 1 });
    expect(await store.verify()).toMatchObject({ ok: true });
  });
});
