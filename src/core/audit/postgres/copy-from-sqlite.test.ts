/**
 * `audit migrate`: a SQLite history copied into PostgreSQL keeps its ids and
 * hashes, verifies end to end with the same key, and the gateway goes on
 * chaining after it; a broken source or a non-empty target is refused.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entry, tempDir, version } from '../../../testing/audit/samples.js';
import { startTestPostgres, type TestPostgres } from '../../../testing/postgres.js';
import { auditDbPath, openAuditStore } from '../sqlite/store.js';
import { copySqliteToPostgres } from './copy-from-sqlite.js';
import { openPostgresStore } from './store.js';

const KEY = 'm'.repeat(40);
let server: TestPostgres;
const temps: Array<{ dir: string; cleanup: () => void }> = [];

beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await server?.destroy();
  for (const t of temps) t.cleanup();
});

/** A DATA_DIR whose audit.db holds orders, a kill switch change and idempotency keys. */
async function sqliteHistory(): Promise<string> {
  const t = tempDir();
  temps.push(t);
  const store = openAuditStore({ dataDir: t.dir, hmacKey: KEY });
  for (let i = 1; i <= 30; i++) {
    await store.recordOrder(entry({ orderId: String(i) }), version(String(i), 'SUBMITTED', { clientOrderId: `c-${i}` }));
    if (i % 3 === 0) await store.recordOrder(entry({ orderId: String(i), eventType: 'ORDER_FILLED' }), version(String(i), 'FILLED'));
  }
  await store.setState('killSwitch', { engaged: false });
  await store.beginIdempotent('orders', 'done', 'desk', 'h1');
  await store.completeIdempotent('orders', 'done', { orderId: '1' });
  await store.beginIdempotent('orders', 'pending', 'desk', 'h2');
  await store.close();
  return t.dir;
}

const failure = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'no error';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
};

describe('audit migrate (SQLite to PostgreSQL)', () => {
  it('copies every row with its hash; the copy verifies and later rows chain on', async () => {
    const dataDir = await sqliteHistory();
    const url = await server.createDatabase('copy');
    const report = await copySqliteToPostgres({ dataDir, url, hmacKey: KEY });
    expect(report.rows).toMatchObject({ audit_log: 40, order_history: 40, chain_anchors: 3, chain_heads: 3, idempotency_keys: 2 });
    expect(report.target).toMatchObject({ ok: true, checkedRows: report.source.checkedRows });

    const sqlite = openAuditStore({ dataDir, hmacKey: KEY });
    const copy = await openPostgresStore({ url, dataDir, hmacKey: KEY });
    try {
      expect((await copy.query({ limit: 1000 })).entries).toEqual((await sqlite.query({ limit: 1000 })).entries);
      expect(await copy.getOrder('3')).toEqual(await sqlite.getOrder('3'));
      expect(await copy.getState('killSwitch')).toEqual({ engaged: false });
      expect(await copy.beginIdempotent('orders', 'done', 'desk', 'h1')).toEqual({ kind: 'replay', result: { orderId: '1' } });
      const next = await copy.append(entry({ orderId: '31' }));
      expect(next.id).toBe(41);
      expect(await copy.verify()).toMatchObject({ ok: true });
    } finally {
      await sqlite.close();
      await copy.close();
    }
  });

  it('refuses to copy into a database that already holds rows', async () => {
    const dataDir = await sqliteHistory();
    const url = await server.createDatabase('copy_twice');
    await copySqliteToPostgres({ dataDir, url, hmacKey: KEY });
    expect(await failure(copySqliteToPostgres({ dataDir, url, hmacKey: KEY }))).toMatch(/already holds rows \(audit_log\)/);
  });

  it('refuses a source that does not verify, before touching the database', async () => {
    const dataDir = await sqliteHistory();
    const raw = new Database(auditDbPath(dataDir));
    raw.exec('DROP TRIGGER audit_log_no_update');
    raw.exec("UPDATE audit_log SET correlation_id = 'forged' WHERE id = 5");
    raw.close();
    const url = await server.createDatabase('copy_broken');
    expect(await failure(copySqliteToPostgres({ dataDir, url, hmacKey: KEY }))).toMatch(/audit.db does not verify, so it is not copied: audit_log row 5/);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const tables = await client.query("SELECT to_regclass('audit_log') AS t");
    await client.end();
    expect(tables.rows).toEqual([{ t: null }]);
  });
});
