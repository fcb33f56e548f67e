/**
 * The SQLite store remembers the latest version of orders it wrote or read
 * (order-history.ts). What must hold: a read always returns the latest
 * committed version, whoever wrote it, and versions written together in one
 * batch follow one another.
 */
import { describe, expect, it } from 'vitest';
import { entry, version } from '../../../testing/audit/samples.js';
import { useTempSqliteStore } from '../../../testing/audit/temp-store.js';
import { openAuditStore } from './store.js';

const t = useTempSqliteStore();

describe('latest order versions', () => {
  it('a version another connection (another gateway, the CLI) commits is what the next read returns', async () => {
    await t.store.recordOrder(entry({ orderId: '1' }), version('1', 'SUBMITTED'));
    expect((await t.store.getOrder('1'))?.status).toBe('SUBMITTED');
    const other = openAuditStore({ dataDir: t.dir, synchronous: 'NORMAL' });
    try {
      await other.recordOrder(entry({ orderId: '1' }), version('1', 'CANCELLED'));
    } finally {
      await other.close();
    }
    expect(await t.store.getOrder('1')).toMatchObject({ status: 'CANCELLED', version: 2 });
    // And this connection's next version follows the other's, not the one it remembered.
    const { order } = await t.store.recordOrder(entry({ orderId: '1' }), version('1', 'CANCELLED', { statusMessage: 'seen again' }));
    expect(order.version).toBe(3);
    expect(await t.store.verify()).toMatchObject({ ok: true });
  });

  it('versions of one order written in one batch follow one another, and the last is what is read', async () => {
    await t.store.recordOrder(entry({ orderId: '7' }), version('7', 'PENDING_SUBMIT'));
    const before = t.store.groupStats.batches;
    const [accepted, filled] = await Promise.all([
      t.store.recordOrder(entry({ orderId: '7' }), version('7', 'ACCEPTED')),
      t.store.recordOrder(entry({ orderId: '7' }), version('7', 'FILLED')),
    ]);
    expect(t.store.groupStats.batches - before).toBe(1);
    expect([accepted.order.version, filled.order.version]).toEqual([2, 3]);
    expect(await t.store.getOrder('7')).toMatchObject({ status: 'FILLED', version: 3 });
    expect((await t.store.getOrderVersions('7')).map((o) => o.status)).toEqual(['PENDING_SUBMIT', 'ACCEPTED', 'FILLED']);
  });

  it('a batch that could not commit leaves the version before it as the latest', async () => {
    await t.store.recordOrder(entry({ orderId: '9' }), version('9', 'SUBMITTED'));
    const Database = (await import('better-sqlite3')).default;
    const holder = new Database(`${t.dir}/audit.db`);
    const blocked = openAuditStore({ dataDir: t.dir, synchronous: 'NORMAL', busyTimeoutMs: 20 });
    try {
      await blocked.getOrder('9');
      holder.exec('BEGIN IMMEDIATE');
      await expect(blocked.recordOrder(entry({ orderId: '9' }), version('9', 'FILLED'))).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
      holder.exec('ROLLBACK');
      expect(await blocked.getOrder('9')).toMatchObject({ status: 'SUBMITTED', version: 1 });
    } finally {
      holder.close();
      await blocked.close();
    }
  });
});
