/**
 * The day's first read of fills finds its rows through an index of the
 * versions that carry fills (migration 9), not of every version: an order's
 * versions without fills add no entry to it. What must hold: the fills read
 * are the same on a file upgraded from schema 8, and the read never falls
 * back to scanning the history.
 */
import { describe, expect, it } from 'vitest';
import type { Fill } from '../../models.js';
import { entry, version } from '../../../testing/audit/samples.js';
import { useTempSqliteStore } from '../../../testing/audit/temp-store.js';
import { openAuditStore } from './store.js';

const t = useTempSqliteStore();

const DAY = '2026-01-05T00:00:00.000Z';
const fill = (orderId: string, execId: string): Fill => ({ execId, orderId, time: '2026-01-05T15:00:00.000Z', side: 'BUY', quantity: 10, price: 190.25, commission: 1, commissionCurrency: 'USD', realizedPnl: null, exchange: null });

async function placeAndFill(orderId: string): Promise<void> {
  await t.store.recordOrder(entry({ orderId }), version(orderId, 'PENDING_SUBMIT'));
  await t.store.recordOrder(entry({ orderId }), version(orderId, 'SUBMITTED'));
  await t.store.recordOrder(entry({ orderId }), version(orderId, 'FILLED', { fills: [fill(orderId, `x${orderId}`)] }));
}

describe('the index of filled versions', () => {
  it('holds only versions with fills, and the first read of a day reads them through it', async () => {
    await placeAndFill('1');
    await placeAndFill('2');
    const { fills } = await t.store.fillsSince('DU111111', DAY, 0);
    expect(fills.map((f) => f.execId).sort()).toEqual(['x1', 'x2']);
    t.withFile((db) => {
      const definition = db.prepare<[], { sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'order_history_filled'").get()?.sql;
      expect(definition).toContain("WHERE fills <> '[]'");
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'order_history_updated'").get()).toBeUndefined();
      const plan = db
        .prepare<[string, string], { detail: string }>("EXPLAIN QUERY PLAN SELECT id, fills FROM order_history WHERE updated_at >= ? AND account_id = ? AND fills <> '[]'")
        .all(DAY, 'DU111111')
        .map((r) => r.detail);
      expect(plan.join(' ')).toContain('USING INDEX order_history_filled');
    });
  });

  it('a file written under schema 8 reads the same fills after the upgrade', async () => {
    await placeAndFill('1');
    await t.store.close();
    // Back to schema 8: the index of every version, and no record of migration 9.
    t.withFile((db) =>
      db.exec("DROP INDEX order_history_filled; CREATE INDEX order_history_updated ON order_history(updated_at); DELETE FROM schema_migrations WHERE version = 9"),
    );
    t.store = openAuditStore({ dataDir: t.dir, synchronous: 'NORMAL' });
    await placeAndFill('2');
    const { fills } = await t.store.fillsSince('DU111111', DAY, 0);
    expect(fills.map((f) => f.execId).sort()).toEqual(['x1', 'x2']);
    expect(t.withFile((db) => db.prepare('SELECT version FROM schema_migrations WHERE version = 9').get())).toEqual({ version: 9 });
    expect(await t.store.verify()).toMatchObject({ ok: true });
  });
});
