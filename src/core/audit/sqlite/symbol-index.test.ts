/**
 * audit_log's index by symbol holds only rows with a symbol (migration 12):
 * the status and fill events of an order name no instrument, and their NULL
 * entries were a page of WAL per order. What must hold: rows without a
 * symbol add no entry, the log's filter by symbol still reads the index, and
 * a file upgraded from schema 11 answers the same and verifies.
 */
import { describe, expect, it } from 'vitest';
import { entry } from '../../../testing/audit/samples.js';
import { useTempSqliteStore } from '../../../testing/audit/temp-store.js';
import { openAuditStore } from './store.js';

const t = useTempSqliteStore();

/** Two orders, each a submission (with a symbol) and an acceptance and a fill (without). */
async function writeTwo(): Promise<void> {
  for (const [orderId, symbol] of [['1', 'AAPL'], ['2', 'MSFT']] as const) {
    await t.store.append(entry({ orderId, eventData: { spec: { symbol } } }));
    await t.store.append(entry({ orderId, eventType: 'ORDER_ACCEPTED', eventData: { status: 'ACCEPTED' }, configSnapshot: null }));
    await t.store.append(entry({ orderId, eventType: 'ORDER_FILLED', eventData: { filledQuantity: 1 }, configSnapshot: null }));
  }
}

const bySymbol = async (): Promise<string[][]> => [
  (await t.store.query({ symbol: 'aapl', limit: 100 })).entries.map((e) => `${e.orderId}:${e.eventType}`),
  (await t.store.query({ symbol: 'MSFT', orderId: '2', limit: 100 })).entries.map((e) => `${e.orderId}:${e.eventType}`),
  (await t.store.query({ orderId: '1', limit: 100 })).entries.map((e) => e.eventType),
];

describe('the index of audit rows by symbol', () => {
  it('holds only rows with a symbol, and the filter by symbol reads its rows through it', async () => {
    await writeTwo();
    expect(await bySymbol()).toEqual([['1:ORDER_SUBMITTED'], ['2:ORDER_SUBMITTED'], ['ORDER_SUBMITTED', 'ORDER_ACCEPTED', 'ORDER_FILLED']]);
    t.withFile((db) => {
      expect((db.prepare('SELECT COUNT(*) AS n FROM audit_log INDEXED BY audit_log_symbol_set WHERE symbol IS NOT NULL').get() as { n: number }).n).toBe(2);
      expect((db.prepare('SELECT COUNT(*) AS n FROM audit_log WHERE symbol IS NULL').get() as { n: number }).n).toBeGreaterThanOrEqual(4);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'audit_log_symbol'").all()).toEqual([]);
    });
    // The plans of the filter as AuditLogTable.query builds it: by symbol alone, and with a cursor.
    const plan = (where: string): string =>
      t.withFile((db) =>
        db
          .prepare<[], { detail: string }>(`EXPLAIN QUERY PLAN SELECT * FROM audit_log WHERE ${where} ORDER BY id LIMIT 101`)
          .all()
          .map((r) => r.detail)
          .join(' | '),
      );
    for (const where of ["symbol = 'AAPL'", "symbol = 'AAPL' AND id > 1", "symbol = 'AAPL' AND timestamp >= '2026-01-01T00:00:00.000Z'"]) {
      expect(plan(where)).toContain('USING INDEX audit_log_symbol_set (symbol=?');
      expect(plan(where)).not.toContain('TEMP B-TREE');
    }
  });

  it('a file written under schema 11 answers the same after the upgrade and verifies', async () => {
    await writeTwo();
    const before = await bySymbol();
    await t.store.close();
    // Back to schema 11: the index of every row, and no record of migration 12.
    t.withFile((db) => db.exec('DROP INDEX audit_log_symbol_set; CREATE INDEX audit_log_symbol ON audit_log(symbol, id); DELETE FROM schema_migrations WHERE version = 12'));
    t.store = openAuditStore({ dataDir: t.dir, synchronous: 'NORMAL' });
    expect(await bySymbol()).toEqual(before);
    expect(t.withFile((db) => db.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'audit_log_symbol%'").all())).toEqual([{ name: 'audit_log_symbol_set' }]);
    expect(t.withFile((db) => db.prepare('SELECT version FROM schema_migrations WHERE version = 12').get())).toEqual({ version: 12 });
    expect(await t.store.verify()).toMatchObject({ ok: true });
  });
});
