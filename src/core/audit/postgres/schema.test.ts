/**
 * The PostgreSQL schema on a real server: migrations are versioned, run once
 * even when two gateways start together, refuse a newer schema, and the
 * database itself keeps the chained tables append-only.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPostgres, type TestPostgres } from '../../../testing/postgres.js';
import { migratePostgres, PG_LATEST_SCHEMA_VERSION, PG_MIGRATIONS } from './migrations.js';

let server: TestPostgres;
const clients: pg.Client[] = [];
const now = (): string => new Date().toISOString();

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  clients.push(client);
  return client;
}

beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  for (const c of clients) await c.end().catch(() => undefined);
  await server?.destroy();
});

const failure = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return 'no error';
};

describe('PostgreSQL schema migrations', () => {
  it('apply every version once, recorded in schema_migrations; a second run applies nothing', async () => {
    const db = await connect(await server.createDatabase('migrate'));
    expect(await migratePostgres(db, now)).toEqual(PG_MIGRATIONS.map((m) => m.version));
    expect(await migratePostgres(db, now)).toEqual([]);
    const versions = (await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version);
    expect(versions).toEqual(PG_MIGRATIONS.map((m) => m.version));
    expect(versions.at(-1)).toBe(PG_LATEST_SCHEMA_VERSION);
  });

  it('run once when several gateways start on an empty database at the same moment', async () => {
    const url = await server.createDatabase('migrate_race');
    const racers = await Promise.all([1, 2, 3, 4].map(() => connect(url)));
    const applied = await Promise.all(racers.map((db) => migratePostgres(db, now)));
    expect(applied.filter((a) => a.length > 0)).toHaveLength(1);
    expect(applied.flat()).toEqual(PG_MIGRATIONS.map((m) => m.version));
  });

  it('refuse a database that a newer build migrated (unknown schema version)', async () => {
    const db = await connect(await server.createDatabase('migrate_newer'));
    await migratePostgres(db, now);
    await db.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from the future', $1)", [now()]);
    expect(await failure(migratePostgres(db, now))).toMatch(/schema version\(s\) 99 that this build does not know/);
  });

  it('migration 7: a database at version 6 gets the index by symbol without the rows that have none, and the filter by symbol reads it', async () => {
    const db = await connect(await server.createDatabase('migrate_symbol'));
    expect(await migratePostgres(db, now, PG_MIGRATIONS.filter((m) => m.version <= 6))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await migratePostgres(db, now)).toEqual([7]);
    const indexes = (await db.query<{ indexname: string; indexdef: string }>("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE 'audit_log_symbol%'")).rows;
    expect(indexes).toEqual([{ indexname: 'audit_log_symbol_set', indexdef: expect.stringContaining('WHERE (symbol IS NOT NULL)') }]);
    // The filter as queryAuditLog sends it, with the symbol a parameter: its generic plan must still
    // prove symbol IS NOT NULL from symbol = $1 (seq scans off: the table is empty, a scan would win).
    await db.query('SET enable_seqscan = off');
    await db.query('SET plan_cache_mode = force_generic_plan');
    await db.query('PREPARE by_symbol(text, bigint, int) AS SELECT * FROM audit_log WHERE symbol = $1 AND id > $2 ORDER BY id LIMIT $3');
    const plan = (await db.query<{ 'QUERY PLAN': string }>("EXPLAIN EXECUTE by_symbol('AAPL', 0, 101)")).rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toContain('audit_log_symbol_set');
  });
});

describe('append-only, enforced by PostgreSQL', () => {
  let db: pg.Client;
  beforeAll(async () => {
    db = await connect(await server.createDatabase('append_only'));
    await migratePostgres(db, now);
    await db.query(
      "INSERT INTO audit_log (id, correlation_id, timestamp, event_type, event_data, user_context, prev_hash, hash) VALUES (1, 'c', '2026-12-02T00:00:00.000Z', 'ORDER_SUBMITTED', '{}', '{}', 'p', 'h')",
    );
    await db.query("INSERT INTO chain_heads (chain, last_id, last_hash) VALUES ('audit_log', 1, 'h')");
    await db.query("INSERT INTO state_log (id, timestamp, kind, name, change, value, prev_hash, hash) VALUES (1, 't', 'state', 'killSwitch', 'set', '{}', 'p', 'h')");
    await db.query("INSERT INTO chain_anchors (chain, first_mac_id, prev_hash, key_id, created_at, mac) VALUES ('audit_log', 1, 'p', 'k', 't', 'm')");
    await insertOrder(1, '1', 'DU1');
  });

  const insertOrder = (id: number, orderId: string, account: string): Promise<unknown> =>
    db.query(
      `INSERT INTO order_history (id, order_id, version, client_order_id, role, account_id, symbol, status, spec, filled_quantity, remaining_quantity, fills, correlation_id, created_at, updated_at, audit_id, prev_hash, hash)
       VALUES ($1, $2, 1, 'my-id', 'ENTRY', $3, 'AAPL', 'SUBMITTED', '{}', 0, 1, '[]', 'c', 't', 't', 1, 'p', 'h')`,
      [id, orderId, account],
    );

  for (const table of ['audit_log', 'order_history', 'state_log', 'chain_anchors']) {
    it(`${table}: UPDATE, DELETE and TRUNCATE are refused`, async () => {
      expect(await failure(db.query(`UPDATE ${table} SET prev_hash = 'x'`))).toBe(`${table} is append-only: UPDATE refused`);
      expect(await failure(db.query(`DELETE FROM ${table}`))).toBe(`${table} is append-only: DELETE refused`);
      expect(await failure(db.query(`TRUNCATE ${table}`))).toBe(`${table} is append-only: TRUNCATE refused`);
    });
  }

  it('the rows are unchanged after the refused changes', async () => {
    expect((await db.query('SELECT hash FROM audit_log')).rows).toEqual([{ hash: 'h' }]);
    expect((await db.query('SELECT prev_hash FROM order_history')).rows).toEqual([{ prev_hash: 'p' }]);
  });

  it('chain_heads only move forward and are never deleted', async () => {
    expect(await failure(db.query("UPDATE chain_heads SET last_id = 0, last_hash = 'old' WHERE chain = 'audit_log'"))).toBe('chain_heads can only move forward');
    expect(await failure(db.query('DELETE FROM chain_heads'))).toBe('chain_heads is append-only: DELETE refused');
    await db.query("UPDATE chain_heads SET last_id = 2, last_hash = 'next' WHERE chain = 'audit_log'");
    expect((await db.query('SELECT last_id FROM chain_heads')).rows).toEqual([{ last_id: '2' }]);
  });

  it('a clientOrderId is unique per account among entry orders', async () => {
    // Order 1 (account DU1, clientOrderId my-id) was written above.
    expect(await failure(insertOrder(2, '2', 'DU1'))).toMatch(/duplicate key value violates unique constraint "order_history_client_order"/);
    expect(await failure(insertOrder(3, '3', 'DU2'))).toBe('no error');
  });
});
