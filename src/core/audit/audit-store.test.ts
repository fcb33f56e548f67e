import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { AuditError, IdempotencyConflictError } from '../errors.js';
import { AuditQuery } from '../models.js';
import { GENESIS_HASH } from './chain.js';
import { entry, tempDir, version } from '../../testing/audit/samples.js';
import { type SqliteAuditStore, auditDbPath, openAuditStore } from './sqlite/store.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './sqlite/migrations.js';

let dir: string;
let cleanup: () => void;
let clock: ManualClock;
let store: SqliteAuditStore;

beforeEach(async () => {
  ({ dir, cleanup } = tempDir());
  clock = new ManualClock('2026-01-05T15:00:00.000Z');
  store = openAuditStore({ dataDir: dir, clock, synchronous: 'NORMAL' });
});

afterEach(async () => {
  await store.close();
  cleanup();
});

/** A second connection that bypasses the store, as someone with the file would. */
function raw(): Database.Database {
  return new Database(auditDbPath(dir));
}

async function seed(count: number): Promise<void> {
  for (let i = 1; i <= count; i++) {
    await store.recordOrder(entry({ orderId: String(i), correlationId: `corr-${i}` }), version(String(i)));
    clock.advance(1000);
  }
}

describe('append and the hash chain', () => {
  it('chains each row to the one before it and verifies', async () => {
    const a = await store.append(entry());
    const b = await store.append(entry({ eventType: 'ORDER_ACCEPTED' }));
    const c = await store.append(entry({ eventType: 'ORDER_FILLED' }));
    expect([a.id, b.id, c.id]).toEqual([1, 2, 3]);
    expect(a.prevHash).toBe(GENESIS_HASH);
    expect(b.prevHash).toBe(a.hash);
    expect(c.prevHash).toBe(b.hash);
    expect(new Set([a.hash, b.hash, c.hash]).size).toBe(3);
    expect(await store.verify()).toMatchObject({ ok: true, checkedRows: 3, firstBadId: null, reason: null });
  });

  it('stores UTC ISO 8601 timestamps from the clock, and normalises given ones', async () => {
    expect((await store.append(entry())).timestamp).toBe('2026-01-05T15:00:00.000Z');
    expect((await store.append(entry({ timestamp: '2026-01-05T16:30:00+01:00' }))).timestamp).toBe('2026-01-05T15:30:00.000Z');
  });

  it('returns what was stored, whatever the key order given', async () => {
    const written = await store.append(entry({ eventData: { b: 1, a: { d: [1, 2], c: null } } }));
    const [read] = (await store.query(AuditQuery.parse({}))).entries;
    expect(read).toEqual(written);
    expect(read?.eventData).toEqual({ a: { c: null, d: [1, 2] }, b: 1 });
  });

  it('an empty log verifies', async () => {
    expect(await store.verify()).toMatchObject({ ok: true, checkedRows: 0, firstBadId: null, reason: null });
  });
});

describe('append-only in the database', () => {
  beforeEach(async () => await seed(3));

  it.each(['audit_log', 'order_history'])('refuses UPDATE and DELETE on %s', async (table) => {
    const db = raw();
    try {
      expect(() => db.prepare(`UPDATE ${table} SET correlation_id = 'x' WHERE id = 2`).run()).toThrow(/append-only: UPDATE refused/);
      expect(() => db.prepare(`DELETE FROM ${table} WHERE id = 2`).run()).toThrow(/append-only: DELETE refused/);
      expect(() => db.prepare(`DELETE FROM ${table}`).run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
    expect((await store.verify()).ok).toBe(true);
  });

  it('refuses to move a chain head backwards or delete it', async () => {
    const db = raw();
    try {
      expect(() => db.prepare("UPDATE chain_heads SET last_id = 1 WHERE chain = 'audit_log'").run()).toThrow(/forward/);
      expect(() => db.prepare('DELETE FROM chain_heads').run()).toThrow(/cannot be deleted/);
    } finally {
      db.close();
    }
  });
});

describe('tampering with the triggers dropped', () => {
  beforeEach(async () => await seed(5));

  function tamper(sql: string): void {
    const db = raw();
    try {
      for (const t of ['audit_log', 'order_history']) {
        db.exec(`DROP TRIGGER ${t}_no_update; DROP TRIGGER ${t}_no_delete;`);
      }
      db.exec(sql);
    } finally {
      db.close();
    }
  }

  it('an edited audit row fails verify at that row', async () => {
    tamper(`UPDATE audit_log SET event_data = replace(event_data, '190.5', '1.5') WHERE id = 3`);
    const result = await store.verify();
    expect(result).toMatchObject({ ok: false, firstBadId: 3, checkedRows: 2 });
    expect(result.reason).toMatch(/audit_log row 3: content does not match/);
  });

  it('an edited column other than the payload (account) fails too, including NULL <-> value', async () => {
    tamper(`UPDATE audit_log SET account_id = NULL WHERE id = 4`);
    expect(await store.verify()).toMatchObject({ ok: false, firstBadId: 4 });
  });

  it('a replaced row hash is caught at that row', async () => {
    tamper(`UPDATE audit_log SET hash = '${'a'.repeat(64)}' WHERE id = 2`);
    expect(await store.verify()).toMatchObject({ ok: false, firstBadId: 2 });
  });

  it('a deleted middle row fails verify at the row after it', async () => {
    tamper('DELETE FROM audit_log WHERE id = 3');
    const result = await store.verify();
    expect(result).toMatchObject({ ok: false, firstBadId: 4 });
    expect(result.reason).toMatch(/row 3 is missing/);
  });

  it('deleted rows at the end are caught by the chain head', async () => {
    tamper('DELETE FROM audit_log WHERE id >= 4');
    expect(await store.verify()).toMatchObject({ ok: false, firstBadId: 4 });
    expect((await store.verify()).reason).toMatch(/rows removed from the end/);
  });

  it('an edited order_history version fails verify at that row', async () => {
    tamper("UPDATE order_history SET status = 'FILLED' WHERE id = 2");
    expect(await store.verify()).toMatchObject({ ok: false, firstBadId: 2, reason: expect.stringMatching(/^order_history row 2/) });
  });

  it('a deleted order_history version is caught', async () => {
    tamper('DELETE FROM order_history WHERE id = 2');
    expect(await store.verify()).toMatchObject({ ok: false, firstBadId: 3, reason: expect.stringMatching(/^order_history row 3/) });
  });

  it('a row inserted behind the store\'s back is caught', async () => {
    tamper(`INSERT INTO audit_log (id, correlation_id, timestamp, event_type, event_data, user_context, prev_hash, hash)
            SELECT 6, 'x', '2026-01-06T00:00:00.000Z', 'ORDER_FILLED', '{}', '{}', hash, hash FROM audit_log WHERE id = 5`);
    expect(await store.verify()).toMatchObject({ ok: false, firstBadId: 6 });
  });
});

describe('order history', () => {
  it('keeps one row per version; the latest is the current state', async () => {
    await store.recordOrder(entry({ orderId: '7' }), version('7', 'SUBMITTED', { createdAt: '2026-01-05T14:59:00Z' }));
    clock.advance(5000);
    await store.recordOrder(entry({ orderId: '7', eventType: 'ORDER_ACCEPTED' }), version('7', 'ACCEPTED'));
    clock.advance(5000);
    const { entry: row, order } = await store.recordOrder(entry({ orderId: '7', eventType: 'ORDER_FILLED' }), version('7', 'FILLED'));

    expect(order).toMatchObject({ orderId: '7', version: 3, status: 'FILLED', filledQuantity: 10, avgFillPrice: 190.25 });
    expect(order.createdAt).toBe('2026-01-05T14:59:00.000Z');
    expect(order.updatedAt).toBe('2026-01-05T15:00:10.000Z');
    expect(row.orderId).toBe('7');
    expect(await store.getOrder('7')).toEqual(order);
    expect((await store.getOrderVersions('7')).map((v) => v.status)).toEqual(['SUBMITTED', 'ACCEPTED', 'FILLED']);
    expect(await store.getOrder('nope')).toBeNull();
    expect(await store.verify()).toMatchObject({ ok: true, checkedRows: 6 });
  });

  it('lists open orders from the latest versions only', async () => {
    await store.recordOrder(entry({ orderId: '1' }), version('1', 'SUBMITTED'));
    await store.recordOrder(entry({ orderId: '2' }), version('2', 'ACCEPTED'));
    await store.recordOrder(entry({ orderId: '1' }), version('1', 'FILLED'));
    await store.recordOrder(entry({ orderId: '3' }), version('3', 'SIMULATED'));
    await store.recordOrder(entry({ orderId: '4' }), version('4', 'UNKNOWN'));
    expect((await store.openOrders()).map((o) => o.orderId)).toEqual(['2', '4']);
    expect((await store.listOrders({ status: 'open', limit: 100 })).map((o) => o.orderId).sort()).toEqual(['2', '4']);
    expect((await store.listOrders({ status: 'closed', limit: 100 })).map((o) => o.orderId).sort()).toEqual(['1', '3']);
    expect(await store.listOrders({ status: 'all', limit: 2 })).toHaveLength(2);
    expect(await store.listOrders({ status: 'all', symbol: 'msft', limit: 100 })).toHaveLength(0);
    expect(await store.listOrders({ status: 'all', symbol: 'aapl', limit: 100 })).toHaveLength(4);
  });

  it('lists orders created since a time, newest first', async () => {
    await seed(3);
    const since = await store.listOrders({ status: 'all', since: '2026-01-05T15:00:01Z', limit: 100 });
    expect(since.map((o) => o.orderId)).toEqual(['3', '2']);
  });

  it('finds an order by clientOrderId and refuses a second order with the same one in the account', async () => {
    await store.recordOrder(entry({ orderId: '10' }), version('10', 'SUBMITTED', { clientOrderId: 'my-1' }));
    await store.recordOrder(entry({ orderId: '10' }), version('10', 'FILLED', { clientOrderId: 'my-1' }));
    expect(await store.findOrderByClientOrderId('DU111111', 'my-1')).toMatchObject({ orderId: '10', status: 'FILLED' });
    expect(await store.findOrderByClientOrderId('DU222222', 'my-1')).toBeNull();

    const before = (await store.query(AuditQuery.parse({}))).entries.length;
    await expect(store.recordOrder(entry({ orderId: '11' }), version('11', 'SUBMITTED', { clientOrderId: 'my-1' }))).rejects.toThrow(IdempotencyConflictError);
    // One transaction: the refused order left no audit row either.
    expect((await store.query(AuditQuery.parse({}))).entries.length).toBe(before);
    // Another account may use the same clientOrderId.
    await store.recordOrder(entry({ orderId: '12' }), version('12', 'SUBMITTED', { clientOrderId: 'my-1', accountId: 'DU222222' }));
    expect((await store.verify()).ok).toBe(true);
  });

  it('reports the highest numeric order id from both tables', async () => {
    expect(await store.maxNumericOrderId()).toBe(0);
    await store.recordOrder(entry({ orderId: '41' }), version('41'));
    await store.recordOrder(entry({ orderId: '9' }), version('9'));
    await store.recordOrder(entry({ orderId: 'abc-99' }), version('abc-99'));
    await store.append(entry({ orderId: '57', eventType: 'RISK_BLOCKED' }));
    expect(await store.maxNumericOrderId()).toBe(57);
  });
});

describe('idempotency keys', () => {
  const OWNER = 'key:desk';

  it('new, then in-progress, then replay after complete', async () => {
    expect(await store.beginIdempotent('orders', 'k1', OWNER, 'h1')).toEqual({ kind: 'new' });
    expect(await store.beginIdempotent('orders', 'k1', OWNER, 'h1')).toEqual({ kind: 'in-progress', since: '2026-01-05T15:00:00.000Z', holder: { instanceId: null, alive: null } });
    await store.completeIdempotent('orders', 'k1', { orderId: '5', status: 'SUBMITTED' });
    expect(await store.beginIdempotent('orders', 'k1', OWNER, 'h1')).toEqual({ kind: 'replay', result: { orderId: '5', status: 'SUBMITTED' } });
  });

  it('the same key with a different request is a conflict', async () => {
    await store.beginIdempotent('orders', 'k1', OWNER, 'h1');
    await expect(store.beginIdempotent('orders', 'k1', OWNER, 'h2')).rejects.toThrow(IdempotencyConflictError);
    await store.completeIdempotent('orders', 'k1', null);
    try {
      await store.beginIdempotent('orders', 'k1', OWNER, 'h2');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(IdempotencyConflictError);
      expect((err as IdempotencyConflictError).code).toBe('IDEMPOTENCY_CONFLICT');
    }
  });

  it('a key belongs to the caller that claimed it: another caller gets IDEMPOTENCY_KEY_FOREIGN, never the result', async () => {
    await store.beginIdempotent('orders', 'k1', OWNER, 'h1');
    await store.completeIdempotent('orders', 'k1', { orderId: '5' });
    for (const [owner, hash] of [['key:other', 'h1'], ['key:other', 'h2'], ['library', 'h1']] as const) {
      try {
        await store.beginIdempotent('orders', 'k1', owner, hash);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(IdempotencyConflictError);
        expect((err as IdempotencyConflictError).code).toBe('IDEMPOTENCY_KEY_FOREIGN');
        expect(JSON.stringify((err as IdempotencyConflictError).details)).not.toContain('orderId');
      }
    }
    expect(await store.beginIdempotent('orders', 'k1', OWNER, 'h1')).toEqual({ kind: 'replay', result: { orderId: '5' } });
  });

  it('keys are per scope', async () => {
    expect((await store.beginIdempotent('orders', 'k', OWNER, 'h1')).kind).toBe('new');
    expect((await store.beginIdempotent('clientOrderId:DU1', 'k', OWNER, 'h2')).kind).toBe('new');
  });

  it('release gives a claimed key back, but never a completed one', async () => {
    await store.beginIdempotent('orders', 'k1', OWNER, 'h1');
    await store.releaseIdempotent('orders', 'k1');
    expect(await store.beginIdempotent('orders', 'k1', OWNER, 'h2')).toEqual({ kind: 'new' });
    await store.completeIdempotent('orders', 'k1', 42);
    await store.releaseIdempotent('orders', 'k1');
    expect(await store.beginIdempotent('orders', 'k1', OWNER, 'h2')).toEqual({ kind: 'replay', result: 42 });
  });

  it('completing a key that was never claimed is an error', async () => {
    await expect(store.completeIdempotent('orders', 'ghost', 1)).rejects.toThrow(AuditError);
  });

  it('survives a reopen', async () => {
    await store.beginIdempotent('orders', 'k1', OWNER, 'h1');
    await store.completeIdempotent('orders', 'k1', { orderId: '1' });
    await store.close();
    store = openAuditStore({ dataDir: dir, clock });
    expect(await store.beginIdempotent('orders', 'k1', OWNER, 'h1')).toEqual({ kind: 'replay', result: { orderId: '1' } });
  });
});

describe('queries and paging', () => {
  beforeEach(async () => {
    for (let i = 1; i <= 25; i++) {
      await store.append(
        entry({
          orderId: String(i % 5),
          correlationId: `corr-${i % 3}`,
          accountId: i % 2 === 0 ? 'DU2' : 'DU1',
          eventType: i % 4 === 0 ? 'ORDER_FILLED' : 'ORDER_SUBMITTED',
          eventData: { spec: { symbol: i % 2 === 0 ? 'MSFT' : 'AAPL' } },
        }),
      );
      clock.advance(60_000);
    }
  });

  const q = async (input: Record<string, unknown>) => await store.query(AuditQuery.parse(input));

  it('filters by order, correlation, account, event type and symbol', async () => {
    expect((await q({ orderId: '3' })).entries.map((e) => e.id)).toEqual([3, 8, 13, 18, 23]);
    expect((await q({ correlationId: 'corr-0' })).entries.every((e) => e.correlationId === 'corr-0')).toBe(true);
    expect((await q({ correlationId: 'corr-0' })).entries).toHaveLength(8);
    expect((await q({ accountId: 'DU2' })).entries).toHaveLength(12);
    expect((await q({ eventType: 'ORDER_FILLED' })).entries.map((e) => e.id)).toEqual([4, 8, 12, 16, 20, 24]);
    expect((await q({ symbol: 'msft', eventType: 'ORDER_FILLED' })).entries).toHaveLength(6);
    expect((await q({ orderId: '3', accountId: 'DU2' })).entries.map((e) => e.id)).toEqual([8, 18]);
  });

  it('filters by time range: from inclusive, to exclusive', async () => {
    // Row i was written at 15:00 + (i-1) minutes.
    const page = await q({ from: '2026-01-05T15:02:00Z', to: '2026-01-05T15:05:00Z' });
    expect(page.entries.map((e) => e.id)).toEqual([3, 4, 5]);
  });

  it('pages with a stable id cursor', async () => {
    const ids: number[] = [];
    let afterId: number | undefined;
    let pages = 0;
    for (;;) {
      const page = await q({ limit: 10, afterId });
      pages += 1;
      ids.push(...page.entries.map((e) => e.id));
      // Rows appended while paging land after the cursor and do not shift earlier pages.
      if (pages === 1) await store.append(entry());
      if (page.nextAfterId === null) break;
      afterId = page.nextAfterId;
    }
    expect(pages).toBe(3);
    expect(ids).toEqual(Array.from({ length: 26 }, (_, i) => i + 1));
  });

  it('an exact final page says there is no next page', async () => {
    expect((await q({ limit: 25 })).nextAfterId).toBeNull();
    expect((await q({ limit: 24 })).nextAfterId).toBe(24);
  });
});

describe('migrations and reopening', () => {
  it('records applied migrations once; reopening applies nothing and keeps the chain going', async () => {
    await seed(2);
    await store.close();
    store = openAuditStore({ dataDir: dir, clock });
    await store.close();
    store = openAuditStore({ dataDir: dir, clock });
    const db = raw();
    try {
      const rows = db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>;
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(Math.max(...rows.map((r) => r.version))).toBe(LATEST_SCHEMA_VERSION);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
    await seed(1);
    expect(await store.verify()).toMatchObject({ ok: true, checkedRows: 6 });
    expect(await store.getOrderVersions('1')).toHaveLength(2);
  });

  it('refuses a database written by a newer schema', async () => {
    await store.close();
    const db = raw();
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', '2030-01-01T00:00:00.000Z')").run();
    db.close();
    expect(() => openAuditStore({ dataDir: dir })).toThrow(/schema version\(s\) 999/);
    // afterEach closes `store`; give it an open one on a throwaway file.
    store = openAuditStore({ dataDir: `${dir}/other` });
  });
});

describe('failures surface as AuditError (AUDIT_UNAVAILABLE)', () => {
  it('after close', async () => {
    await store.close();
    try {
      await store.append(entry());
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AuditError);
      expect((err as AuditError).code).toBe('AUDIT_UNAVAILABLE');
    }
  });

  it('when the data directory cannot be created', async () => {
    expect(() => openAuditStore({ dataDir: `${auditDbPath(dir)}/sub` })).toThrow(AuditError);
  });

  it('when another process holds the write lock past the busy timeout', async () => {
    const other = openAuditStore({ dataDir: dir, busyTimeoutMs: 50 });
    const db = raw();
    try {
      db.exec('BEGIN IMMEDIATE');
      await expect(other.append(entry())).rejects.toThrow(expect.objectContaining({ code: 'AUDIT_UNAVAILABLE', details: { sqliteCode: 'SQLITE_BUSY' } }));
      db.exec('ROLLBACK');
      expect((await other.append(entry())).id).toBe(1);
    } finally {
      db.close();
      await other.close();
    }
  });

  it('when the event data cannot be serialised, nothing is written', async () => {
    await expect(store.append(entry({ eventData: { big: 1n } }))).rejects.toThrow(AuditError);
    expect((await store.append(entry())).id).toBe(1);
  });
});

describe('state', () => {
  it('stores small JSON values by name and keeps them across a reopen', async () => {
    expect(await store.getState('killSwitch')).toBeNull();
    await store.setState('killSwitch', { engaged: true, reason: 'test' });
    await store.setState('killSwitch', { engaged: false, reason: null });
    await store.close();
    store = openAuditStore({ dataDir: dir, clock });
    expect(await store.getState<{ engaged: boolean }>('killSwitch')).toEqual({ engaged: false, reason: null });
  });
});

describe('opening next to a busy writer', () => {
  it('opens an up-to-date file and reads it while another connection holds the write lock', async () => {
    await store.append(entry());
    const db = raw();
    try {
      db.exec('BEGIN IMMEDIATE');
      const reader = openAuditStore({ dataDir: dir, busyTimeoutMs: 50 });
      try {
        expect(await reader.verify()).toMatchObject({ ok: true, checkedRows: 1 });
        expect((await reader.query(AuditQuery.parse({}))).entries).toHaveLength(1);
      } finally {
        await reader.close();
      }
    } finally {
      db.exec('ROLLBACK');
      db.close();
    }
  });
});
