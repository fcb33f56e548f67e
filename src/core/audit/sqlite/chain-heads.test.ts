/**
 * Chain heads are held in memory for the length of one write transaction
 * (chain-heads.ts) and written once per chain before COMMIT. What must not
 * change: every row links to the row before it, a write rolled back alone
 * inside a batch takes the head it moved with it, and chain_heads names the
 * last committed row of each chain. Between batches the heads are remembered
 * only while no other connection has committed (PRAGMA data_version).
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { entry, version } from '../../../testing/audit/samples.js';
import { useTempSqliteStore } from '../../../testing/audit/temp-store.js';
import { auditDbPath, openAuditStore } from './store.js';

const t = useTempSqliteStore();

const headsOnDisk = (): Record<string, number> => {
  const db = new Database(auditDbPath(t.dir), { readonly: true });
  try {
    return Object.fromEntries(db.prepare<[], { chain: string; last_id: number }>('SELECT chain, last_id FROM chain_heads').all().map((r) => [r.chain, r.last_id]));
  } finally {
    db.close();
  }
};

describe('chain heads within a batch', () => {
  it('a batch of many rows links each to the one before and leaves chain_heads at its last rows', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => t.store.recordOrder(entry({ orderId: String(i + 1) }), version(String(i + 1)))));
    expect(t.store.groupStats.largestBatch).toBe(20);
    expect(headsOnDisk()).toMatchObject({ audit_log: 20, order_history: 20 });
    expect(await t.store.verify()).toMatchObject({ ok: true });
  });

  it('a write rolled back inside a batch (its audit row was written, its order version refused) gives its head back', async () => {
    await t.store.recordOrder(entry({ orderId: '1' }), version('1', 'SUBMITTED', { clientOrderId: 'c-1' }));
    // The middle write reuses c-1: its audit_log row is inserted, then the order_history insert fails and its SAVEPOINT is rolled back.
    const results = await Promise.allSettled([
      t.store.recordOrder(entry({ orderId: '2' }), version('2')),
      t.store.recordOrder(entry({ orderId: '3' }), version('3', 'SUBMITTED', { clientOrderId: 'c-1' })),
      t.store.recordOrder(entry({ orderId: '4' }), version('4')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // Row ids stay contiguous: the refused write's audit row id was handed to the next write.
    const ids = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.entry.id] : []));
    expect(ids).toEqual([2, 3]);
    expect(headsOnDisk()).toMatchObject({ audit_log: 3, order_history: 3 });
    expect(await t.store.verify()).toMatchObject({ ok: true });
    expect((await t.store.append(entry())).id).toBe(4);
    expect(await t.store.verify()).toMatchObject({ ok: true });
  });
});

describe('chain heads between batches', () => {
  it('heads remembered from the last batch are given up when another connection has committed since', async () => {
    await t.store.recordOrder(entry({ orderId: '1' }), version('1'));
    const other = openAuditStore({ dataDir: t.dir, synchronous: 'NORMAL' });
    try {
      expect((await other.append(entry())).id).toBe(2);
      await other.recordOrder(entry({ orderId: '2' }), version('2'));
    } finally {
      await other.close();
    }
    // The first store chains after the other's rows, not after what it remembered of its own.
    const next = await t.store.recordOrder(entry({ orderId: '3' }), version('3'));
    expect(next.entry.id).toBe(4);
    expect(next.order.version).toBe(1);
    expect(headsOnDisk()).toMatchObject({ audit_log: 4, order_history: 3 });
    expect(await t.store.verify()).toMatchObject({ ok: true });
  });

  it('a batch whose every write was refused leaves the remembered heads where the table has them', async () => {
    await t.store.recordOrder(entry({ orderId: '1' }), version('1', 'SUBMITTED', { clientOrderId: 'c-1' }));
    await expect(t.store.recordOrder(entry({ orderId: '2' }), version('2', 'SUBMITTED', { clientOrderId: 'c-1' }))).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect((await t.store.append(entry())).id).toBe(2);
    expect(headsOnDisk()).toMatchObject({ audit_log: 2, order_history: 1 });
    expect(await t.store.verify()).toMatchObject({ ok: true });
  });
});
