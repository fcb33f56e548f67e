/**
 * Checkpoints on PostgreSQL: each gateway writes signed checkpoints of the
 * shared chain heads to a file in its DATA_DIR (one per database), and
 * `audit verify` holds the database to them, so a chain whose tail a
 * superuser deleted (triggers off, head moved back) is reported truncated,
 * as on SQLite. Without the checkpoint the walk alone finds nothing wrong:
 * the remaining prefix is a valid chain.
 */
import { existsSync, rmSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entry, tempDir, version } from '../../../testing/audit/samples.js';
import { startTestPostgres, type TestPostgres } from '../../../testing/postgres.js';
import { readCheckpointLines } from '../checkpoints.js';
import { pgCheckpointPath } from './checkpoints.js';
import { openPostgresStore } from './store.js';

const KEY = 'k'.repeat(40);
let server: TestPostgres;
let temp: { dir: string; cleanup: () => void };

beforeAll(async () => {
  server = await startTestPostgres();
  temp = tempDir();
});
afterAll(async () => {
  await server?.destroy();
  temp?.cleanup();
});

/** What a superuser can do behind the store: triggers off, the last rows gone, the head moved back to `keep`. */
async function truncateAuditLog(url: string, keep: number): Promise<void> {
  const raw = new pg.Client({ connectionString: url });
  await raw.connect();
  try {
    await raw.query('BEGIN');
    await raw.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
    await raw.query('ALTER TABLE order_history DISABLE TRIGGER USER');
    await raw.query('ALTER TABLE chain_heads DISABLE TRIGGER USER');
    const cut = (await raw.query<{ id: string }>('SELECT id FROM audit_log WHERE id > $1', [keep])).rows.map((r) => Number(r.id));
    await raw.query('DELETE FROM order_history WHERE audit_id = ANY($1::bigint[])', [cut]);
    await raw.query('DELETE FROM audit_log WHERE id > $1', [keep]);
    await raw.query("UPDATE chain_heads SET last_id = $1, last_hash = (SELECT hash FROM audit_log WHERE id = $1) WHERE chain = 'audit_log'", [keep]);
    await raw.query(
      "UPDATE chain_heads SET last_id = h.id, last_hash = h.hash FROM (SELECT id, hash FROM order_history ORDER BY id DESC LIMIT 1) h WHERE chain = 'order_history'",
    );
    await raw.query('ALTER TABLE audit_log ENABLE TRIGGER USER');
    await raw.query('ALTER TABLE order_history ENABLE TRIGGER USER');
    await raw.query('ALTER TABLE chain_heads ENABLE TRIGGER USER');
    await raw.query('COMMIT');
  } finally {
    await raw.end();
  }
}

describe('checkpoints of the shared heads', () => {
  it('are written per database in DATA_DIR, signed, and verify checks the database against them', async () => {
    const url = await server.createDatabase('checkpoint_write');
    const written: unknown[] = [];
    const store = await openPostgresStore({ url, dataDir: temp.dir, hmacKey: KEY, checkpointEvery: { writes: 2, ms: 3_600_000 }, onCheckpoint: (cp) => written.push(cp) });
    for (let i = 1; i <= 5; i++) await store.recordOrder(entry({ orderId: String(i) }), version(String(i)));
    await store.close();
    const path = pgCheckpointPath(temp.dir, url);
    expect(path).toMatch(/audit-pg-checkpoint_write_\w+-[0-9a-f]{12}\.checkpoints$/);
    // The first durable write, every second one after it, and the close (unless already written).
    const lines = readCheckpointLines(path);
    expect(lines.length).toBe(written.length);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(JSON.parse(lines.at(-1)?.text ?? '{}')).toMatchObject({ heads: { audit_log: { id: 5 }, order_history: { id: 5 } }, mac: expect.any(String) });

    const again = await openPostgresStore({ url, dataDir: temp.dir, hmacKey: KEY });
    try {
      expect(await again.verify()).toMatchObject({ ok: true, checkpoints: { count: lines.length, lastAt: expect.any(String) } });
    } finally {
      await again.close();
    }
  });

  it('verify reports a truncated tail the chain walk alone cannot see', async () => {
    const url = await server.createDatabase('checkpoint_truncate');
    const store = await openPostgresStore({ url, dataDir: temp.dir, hmacKey: KEY });
    for (let i = 1; i <= 6; i++) await store.recordOrder(entry({ orderId: String(i) }), version(String(i)));
    await store.close();
    await truncateAuditLog(url, 4);

    const reader = await openPostgresStore({ url, dataDir: temp.dir, hmacKey: KEY });
    try {
      expect(await reader.verify()).toMatchObject({
        ok: false,
        firstBadId: 5,
        reason: expect.stringMatching(/^audit_log row 5: rows 5-6 are missing: .*the tail was truncated/),
      });
      // The same database with this gateway's witness gone: a valid-looking shorter chain.
      const path = pgCheckpointPath(temp.dir, url);
      expect(existsSync(path)).toBe(true);
      rmSync(path);
      expect(await reader.verify()).toMatchObject({ ok: true, checkpoints: { count: 0 } });
    } finally {
      await reader.close();
    }
  });

  it('a checkpoint line altered in the file is reported, not trusted', async () => {
    const url = await server.createDatabase('checkpoint_altered');
    const store = await openPostgresStore({ url, dataDir: temp.dir, hmacKey: KEY });
    await store.append(entry());
    await store.close();
    const path = pgCheckpointPath(temp.dir, url);
    const { readFileSync, writeFileSync } = await import('node:fs');
    writeFileSync(path, readFileSync(path, 'utf8').replace(/"id":1,/, '"id":0,'));
    const reader = await openPostgresStore({ url, dataDir: temp.dir, hmacKey: KEY });
    try {
      expect(await reader.verify()).toMatchObject({ ok: false, reason: expect.stringMatching(/does not match its HMAC: the file was altered/) });
    } finally {
      await reader.close();
    }
  });
});
