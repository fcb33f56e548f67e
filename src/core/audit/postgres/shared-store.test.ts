/**
 * Several gateways on one PostgreSQL database (each store here has its own
 * connection pool, as a gateway process does): one chain per table under
 * concurrent writers, one order per idempotency key, the kill switch state
 * seen by the others within a second, an outage refused cleanly and healed
 * without a restart, and tampering found by verify.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entry, tempDir, version } from '../../../testing/audit/samples.js';
import { errorCode } from '../../../testing/client-harness.js';
import { startTestPostgres, type TestPostgres } from '../../../testing/postgres.js';
import { GENESIS_HASH } from '../chain.js';
import { openPostgresStore, type PostgresAuditStore } from './store.js';

const KEY = 'k'.repeat(40);
let server: TestPostgres;
let temp: { dir: string; cleanup: () => void };
const opened: PostgresAuditStore[] = [];

async function gateway(url: string, hmacKey: string = KEY): Promise<PostgresAuditStore> {
  const store = await openPostgresStore({ url, dataDir: temp.dir, hmacKey, listenRetryMs: 100 });
  opened.push(store);
  return store;
}

beforeAll(async () => {
  server = await startTestPostgres();
  temp = tempDir();
});
afterAll(async () => {
  for (const s of opened) await s.close().catch(() => undefined);
  await server?.destroy();
  temp?.cleanup();
});

describe('one chain per table across gateways', () => {
  it('chains rows from two gateways writing at once, and verify checks them all', async () => {
    const url = await server.createDatabase('chains');
    const [a, b] = [await gateway(url), await gateway(url)];
    const first = await a.append(entry());
    expect(first).toMatchObject({ id: 1, prevHash: GENESIS_HASH });
    const writes = Array.from({ length: 60 }, (_, i) => {
      const store = i % 2 === 0 ? a : b;
      const id = String(100 + i);
      return i % 3 === 0 ? store.recordOrder(entry({ orderId: id }), version(id)) : store.append(entry({ orderId: id }));
    });
    await Promise.all(writes);
    const page = await b.query({ limit: 1000 });
    expect(page.entries.map((e) => e.id)).toEqual(Array.from({ length: 61 }, (_, i) => i + 1));
    for (let i = 1; i < page.entries.length; i++) expect(page.entries[i]?.prevHash).toBe(page.entries[i - 1]?.hash);
    expect(await a.verify()).toMatchObject({ ok: true, checkedRows: 61 + 20 });
  });

  it('a gateway with another HMAC key refuses to write on a sealed database', async () => {
    const url = await server.createDatabase('other_key');
    await (await gateway(url)).append(entry());
    const stranger = await gateway(url, 'z'.repeat(40));
    expect(stranger.writeBlock).toMatch(/every gateway on one database needs the same AUDIT_HMAC_KEY/);
    expect(await errorCode(stranger.append(entry()))).toBe('AUDIT_UNAVAILABLE');
  });

  it('verify finds a row edited behind the store (triggers disabled by a superuser)', async () => {
    const url = await server.createDatabase('tamper');
    const store = await gateway(url);
    for (let i = 1; i <= 3; i++) await store.recordOrder(entry({ orderId: String(i) }), version(String(i)));
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    await raw.query('ALTER TABLE order_history DISABLE TRIGGER USER');
    await raw.query("UPDATE order_history SET status = 'CANCELLED' WHERE id = 2");
    await raw.end();
    expect(await store.verify()).toMatchObject({ ok: false, firstBadId: 2, reason: expect.stringMatching(/^order_history row 2: content does not match its HMAC/) });
  });
});

describe('a gateway role with only the README grants', () => {
  it('opens a migrated database, writes and verifies, but cannot change rows or switch the triggers off', async () => {
    const url = await server.createDatabase('grants');
    await (await gateway(url)).append(entry());
    const owner = new pg.Client({ connectionString: url });
    await owner.connect();
    await owner.query("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gateway_role') THEN CREATE ROLE gateway_role LOGIN PASSWORD 'gw-pass'; END IF; END $$");
    await owner.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    await owner.query('GRANT SELECT, INSERT ON audit_log, order_history, state_log, chain_anchors, schema_migrations TO gateway_role');
    await owner.query('GRANT SELECT, INSERT, UPDATE ON chain_heads TO gateway_role');
    await owner.query('GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO gateway_role');
    await owner.end();
    const limited = new URL(url);
    limited.username = 'gateway_role';
    limited.password = 'gw-pass';
    const store = await gateway(limited.toString());
    await store.recordOrder(entry({ orderId: '5' }), version('5'));
    await store.beginIdempotent('orders', 'k', 'desk', 'h');
    expect(await store.verify()).toMatchObject({ ok: true, checkedRows: 4 });
    const raw = new pg.Client({ connectionString: limited.toString() });
    await raw.connect();
    const refused = async (sql: string): Promise<string> => raw.query(sql).then(() => 'no error', (err: Error) => err.message);
    expect(await refused('ALTER TABLE audit_log DISABLE TRIGGER USER')).toMatch(/must be owner of table audit_log/);
    expect(await refused("UPDATE audit_log SET correlation_id = 'x'")).toMatch(/permission denied for table audit_log/);
    expect(await refused('DELETE FROM order_history')).toMatch(/permission denied for table order_history/);
    await raw.end();
  });
});

describe('idempotency across gateways', () => {
  it('100 concurrent claims of one key split across two gateways: exactly one wins, the rest see it in progress', async () => {
    const url = await server.createDatabase('idem');
    const [a, b] = [await gateway(url), await gateway(url)];
    const claims = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).beginIdempotent('orders', 'key-1', 'desk', 'hash-1')));
    expect(claims.filter((c) => c.kind === 'new')).toHaveLength(1);
    expect(claims.filter((c) => c.kind === 'in-progress')).toHaveLength(99);
    await a.completeIdempotent('orders', 'key-1', { orderId: '7' });
    expect(await b.beginIdempotent('orders', 'key-1', 'desk', 'hash-1')).toEqual({ kind: 'replay', result: { orderId: '7' } });
    expect(await errorCode(b.beginIdempotent('orders', 'key-1', 'desk', 'hash-2'))).toBe('IDEMPOTENCY_CONFLICT');
    expect(await errorCode(b.beginIdempotent('orders', 'key-1', 'other', 'hash-1'))).toBe('IDEMPOTENCY_KEY_FOREIGN');
    expect(await b.verify()).toMatchObject({ ok: true });
  });

  it('a clientOrderId is claimed once per account whichever gateway records it', async () => {
    const url = await server.createDatabase('client_order');
    const [a, b] = [await gateway(url), await gateway(url)];
    const results = await Promise.allSettled([
      a.recordOrder(entry({ orderId: '1' }), version('1', 'SUBMITTED', { clientOrderId: 'mine' })),
      b.recordOrder(entry({ orderId: '2' }), version('2', 'SUBMITTED', { clientOrderId: 'mine' })),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect(refused?.status === 'rejected' && (refused.reason as { code?: string }).code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await a.verify()).toMatchObject({ ok: true });
  });
});

describe('state shared through the database', () => {
  it('the kill switch set on one gateway moves the change mark of another within a second (LISTEN/NOTIFY)', async () => {
    const url = await server.createDatabase('kill');
    const [a, b] = [await gateway(url), await gateway(url)];
    const before = await b.changeMark();
    await a.setState('killSwitch', { engaged: true });
    const started = Date.now();
    while ((await b.changeMark()) === before && Date.now() - started < 1000) await new Promise((r) => setTimeout(r, 10));
    expect(await b.changeMark()).not.toBe(before);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await b.getState('killSwitch')).toEqual({ engaged: true });
  });
});

describe('a database outage', () => {
  it('refuses writes and reads with AUDIT_UNAVAILABLE, and works again once the server is back, without reopening', async () => {
    if (!server.owned) return; // PG_TEST_URL: we cannot stop someone else's server
    const url = await server.createDatabase('outage');
    const store = await gateway(url);
    await store.append(entry());
    await server.stop();
    expect(await errorCode(store.append(entry()))).toBe('AUDIT_UNAVAILABLE');
    expect(await errorCode(store.recordOrder(entry({ orderId: '9' }), version('9')))).toBe('AUDIT_UNAVAILABLE');
    await server.start();
    const next = await store.append(entry());
    expect(next.id).toBe(2);
    expect(await store.verify()).toMatchObject({ ok: true, checkedRows: 2 });
  });
});
