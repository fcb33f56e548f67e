/**
 * order_history's indexes by creation time and by broker identity hold each
 * order's first version only (migration 11): both columns are the same on
 * every version, so later versions add no entry. The list of orders walks
 * first versions and answers each order's latest version. What must hold:
 * later versions write no entry, the list is read through the indexes
 * (no scan, no sort), and a file upgraded from schema 10 lists the same.
 */
import { describe, expect, it } from 'vitest';
import { entry, version } from '../../../testing/audit/samples.js';
import { OrderListQuery } from '../../models.js';
import { useTempSqliteStore } from '../../../testing/audit/temp-store.js';
import { openAuditStore } from './store.js';

const t = useTempSqliteStore();

/** Three orders in three versions each; the second belongs to another broker. */
async function placeThree(first: number): Promise<void> {
  for (let n = first; n < first + 3; n++) {
    const id = String(n);
    const brokerIdentity = n === first + 1 ? 'tws:127.0.0.1:4002:DU111111:1' : 'sim:DU111111';
    await t.store.recordOrder(entry({ orderId: id }), version(id, 'PENDING_SUBMIT', { brokerIdentity, createdAt: `2026-01-05T15:00:0${n}.000Z` }));
    await t.store.recordOrder(entry({ orderId: id }), version(id, 'SUBMITTED'));
    await t.store.recordOrder(entry({ orderId: id }), version(id, n === first ? 'FILLED' : 'SUBMITTED'));
  }
}

const summary = async (): Promise<string[][]> => [
  (await t.store.listOrders(OrderListQuery.parse({}))).map((o) => `${o.orderId}:${o.status}`),
  (await t.store.listOrders(OrderListQuery.parse({ status: 'open', since: '2026-01-05T15:00:02.000Z' }))).map((o) => o.orderId),
  (await t.store.listOrders(OrderListQuery.parse({ brokerIdentity: 'tws:127.0.0.1:4002:DU111111:1' }))).map((o) => o.orderId),
  (await t.store.listOrders(OrderListQuery.parse({}), { identities: ['sim:DU111111'], accounts: [] })).map((o) => o.orderId),
];

describe("the indexes of orders' first versions", () => {
  it('hold one entry per order, and the list reads its orders through them, newest first', async () => {
    await placeThree(1);
    expect(await summary()).toEqual([['3:SUBMITTED', '2:SUBMITTED', '1:FILLED'], ['3', '2'], ['2'], ['3', '1']]);
    t.withFile((db) => {
      const entries = (index: string): number => (db.prepare(`SELECT COUNT(*) AS n FROM order_history INDEXED BY ${index} WHERE version = 1`).get() as { n: number }).n;
      expect(entries('order_history_first_created')).toBe(3);
      expect(db.prepare<[], { sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'order_history_first_identity'").get()?.sql).toContain('WHERE version = 1');
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name IN ('order_history_created', 'order_history_identity')").all()).toEqual([]);
    });
    // The plan of the list as the store builds it: first versions from the index, newest first, without a sort.
    const plan = t.withFile((db) =>
      db
        .prepare<[], { detail: string }>(
          "EXPLAIN QUERY PLAN SELECT h.* FROM order_history f JOIN order_history h ON h.order_id = f.order_id WHERE f.version = 1 AND NOT EXISTS (SELECT 1 FROM order_history n WHERE n.order_id = h.order_id AND n.version > h.version) ORDER BY f.created_at DESC, f.order_id DESC LIMIT 100",
        )
        .all()
        .map((r) => r.detail)
        .join(' | '),
    );
    expect(plan).toContain('USING COVERING INDEX order_history_first_created');
    expect(plan).not.toContain('TEMP B-TREE');
  });

  it('a file written under schema 10 lists the same orders after the upgrade', async () => {
    await placeThree(1);
    const before = await summary();
    await t.store.close();
    // Back to schema 10: the indexes of every version, and no record of migration 11.
    t.withFile((db) =>
      db.exec(
        'DROP INDEX order_history_first_created; DROP INDEX order_history_first_identity; CREATE INDEX order_history_created ON order_history(created_at); CREATE INDEX order_history_identity ON order_history(broker_identity, order_id); DELETE FROM schema_migrations WHERE version = 11',
      ),
    );
    t.store = openAuditStore({ dataDir: t.dir, synchronous: 'NORMAL' });
    expect(await summary()).toEqual(before);
    expect(t.withFile((db) => db.prepare('SELECT version FROM schema_migrations WHERE version = 11').get())).toEqual({ version: 11 });
    expect(await t.store.verify()).toMatchObject({ ok: true });
  });
});
