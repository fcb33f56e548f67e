/**
 * The keyed chain against someone who can write audit.db but does not hold
 * the HMAC key: rewriting rows and recomputing every hash, truncating the
 * tail and moving the head back, editing the kill switch or an idempotency
 * key outside the chain, downgrading the file. Plus the key and file modes,
 * and the in-place upgrade of a schema-1 file.
 */
import { appendFileSync, chmodSync, existsSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { entry, tempDir, version } from '../../testing/audit/samples.js';
import { auditDbPath, openAuditStore, type AuditStoreOptions, type SqliteAuditStore } from './sqlite/store.js';
import { GENESIS_HASH, rowHash, type Row } from './chain.js';
import { checkpointPath } from './checkpoints.js';
import { auditKeyPath } from './key.js';
import { migrate, MIGRATIONS } from './sqlite/migrations.js';

let dir: string;
let cleanup: () => void;
let clock: ManualClock;
let store: SqliteAuditStore;

const open = (options: Partial<AuditStoreOptions> = {}): SqliteAuditStore => openAuditStore({ dataDir: dir, clock, ...options });

beforeEach(async () => {
  ({ dir, cleanup } = tempDir());
  clock = new ManualClock('2026-01-05T15:00:00.000Z');
  store = open();
});

afterEach(async () => {
  await store.close();
  cleanup();
});

async function seed(count: number): Promise<void> {
  for (let i = 1; i <= count; i++) {
    await store.recordOrder(entry({ orderId: String(i), correlationId: `corr-${i}` }), version(String(i)));
    clock.advance(1000);
  }
}

/** Runs SQL on the file as an attacker would: a second connection, the append-only triggers dropped first. */
function asAttacker(fn: (db: Database.Database) => void): void {
  const db = new Database(auditDbPath(dir));
  try {
    for (const t of ['audit_log', 'order_history', 'state_log', 'chain_anchors']) db.exec(`DROP TRIGGER IF EXISTS ${t}_no_update; DROP TRIGGER IF EXISTS ${t}_no_delete;`);
    db.exec('DROP TRIGGER IF EXISTS chain_heads_forward_only; DROP TRIGGER IF EXISTS chain_heads_no_delete;');
    fn(db);
  } finally {
    db.close();
  }
}

/** Recomputes every row's hash from `fromId` on with plain SHA-256 (all an attacker without the key can do), and the head. */
function rehashWithSha256(db: Database.Database, table: 'audit_log' | 'order_history', fromId: number): void {
  const rows = db.prepare(`SELECT * FROM ${table} ORDER BY id`).all() as Row[];
  let prev = GENESIS_HASH;
  for (const row of rows) {
    if (Number(row.id) >= fromId) {
      const hash = rowHash(table, { ...row, prev_hash: prev });
      db.prepare(`UPDATE ${table} SET prev_hash = ?, hash = ? WHERE id = ?`).run(prev, hash, row.id);
      prev = hash;
    } else prev = String(row.hash);
  }
  db.prepare('UPDATE chain_heads SET last_hash = ? WHERE chain = ?').run(prev, table);
}

describe('an attacker without the key', () => {
  it('cannot rewrite a row and recompute the hashes: verify fails at the edited row', async () => {
    await seed(6);
    asAttacker((db) => {
      db.prepare("UPDATE audit_log SET event_data = replace(event_data, 'AAPL', 'TSLA'), symbol = 'TSLA' WHERE id = 4").run();
      rehashWithSha256(db, 'audit_log', 4);
    });
    const result = await store.verify();
    expect(result).toMatchObject({ ok: false, firstBadId: 4 });
    expect(result.reason).toMatch(/^audit_log row 4: content does not match its HMAC/);
  });

  it('cannot truncate the tail and move the head back: verify fails against the last checkpoint, naming the first missing row', async () => {
    await seed(5);
    await store.close(); // checkpoints the heads of the last (durable) write, at its time: line 2 (line 1 is the first write's)
    asAttacker((db) => {
      const kept = db.prepare('SELECT hash FROM audit_log WHERE id = 2').get() as { hash: string };
      db.prepare('DELETE FROM order_history WHERE audit_id >= 3').run();
      db.prepare('DELETE FROM audit_log WHERE id >= 3').run();
      db.prepare("UPDATE chain_heads SET last_id = 2, last_hash = ? WHERE chain = 'audit_log'").run(kept.hash);
      const keptVersion = db.prepare('SELECT id, hash FROM order_history ORDER BY id DESC LIMIT 1').get() as { id: number; hash: string };
      db.prepare("UPDATE chain_heads SET last_id = ?, last_hash = ? WHERE chain = 'order_history'").run(keptVersion.id, keptVersion.hash);
    });
    store = open();
    const result = await store.verify();
    expect(result).toMatchObject({ ok: false, firstBadId: 3 });
    expect(result.reason).toMatch(/^audit_log row 3: rows 3-5 are missing: the checkpoint of 2026-01-05T15:00:04\.000Z \(audit\.checkpoints line 2\) recorded the chain up to row 5/);
    // Nothing is written on top of a truncated log: the store refuses, so the order path refuses to transmit.
    expect(store.writeBlock).toMatch(/no longer matches its last checkpoint/);
    await expect(store.append(entry())).rejects.toThrow(/refuses writes/);
  });

  it('cannot downgrade the file to plain SHA-256 (anchors and upgrade record removed): the checkpoint catches it', async () => {
    await seed(3);
    await store.close();
    asAttacker((db) => {
      db.prepare("UPDATE audit_log SET account_id = 'DU999' WHERE id = 2").run();
      rehashWithSha256(db, 'audit_log', 1);
      rehashWithSha256(db, 'order_history', 1);
      db.exec('DROP TABLE chain_anchors; DROP TABLE state_log; DELETE FROM schema_migrations WHERE version = 2; ALTER TABLE idempotency_keys DROP COLUMN owner;');
    });
    store = open();
    const result = await store.verify();
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/HMAC upgrade point moved|differs from the checkpoint/);
    expect(store.writeBlock).not.toBeNull();
  });

  it('cannot forge or edit a checkpoint line', async () => {
    await seed(2);
    await store.close();
    const path = checkpointPath(dir);
    const line = readFileSync(path, 'utf8').trim();
    appendFileSync(path, `${line.replace('"at":"', '"at":"1')}\n`);
    store = open();
    expect(await store.verify()).toMatchObject({ ok: false, reason: expect.stringMatching(/line 3\) does not match its HMAC/) });
  });

  it('a last line cut short by a crash is ignored, and the next checkpoint starts on a new line', async () => {
    await seed(2);
    await store.close();
    appendFileSync(checkpointPath(dir), '{"at":"2026-01-05T15:0');
    store = open();
    expect(store.writeBlock).toBeNull();
    await seed(1);
    await store.close();
    const lines = readFileSync(checkpointPath(dir), 'utf8').split('\n');
    // Before: the first write's and the close's; the torn fragment; after: the first write's (nothing since, so none at close); ''.
    expect(lines).toHaveLength(5);
    expect(lines[2]).toBe('{"at":"2026-01-05T15:0');
    store = open();
    expect(await store.verify()).toMatchObject({ ok: true, checkpoints: { count: 3 } });
  });

  it('cannot change the kill switch behind the store: the schema-1 state table is not read, and an edited state_log row fails its MAC', async () => {
    await store.setState('killSwitch', { engaged: true, reason: 'test' });
    asAttacker((db) => db.prepare("INSERT INTO state (name, value, updated_at) VALUES ('killSwitch', '{\"engaged\":false}', 'x')").run());
    expect(await store.getState('killSwitch')).toEqual({ engaged: true, reason: 'test' });
    asAttacker((db) => db.prepare("UPDATE state_log SET value = replace(value, 'true', 'false') WHERE kind = 'state'").run());
    await expect(store.getState('killSwitch')).rejects.toThrow(/does not match its HMAC/);
    expect(await store.verify()).toMatchObject({ ok: false, firstBadId: 1, reason: expect.stringMatching(/^state_log row 1/) });
  });

  it('cannot edit, insert or delete an idempotency key unnoticed', async () => {
    await store.beginIdempotent('orders', 'k1', 'key:desk', 'h1');
    await store.completeIdempotent('orders', 'k1', { orderId: '1' });
    await store.beginIdempotent('orders', 'k2', 'key:desk', 'h2');
    expect((await store.verify()).ok).toBe(true);

    asAttacker((db) => db.prepare("UPDATE idempotency_keys SET owner = 'key:thief' WHERE key = 'k1'").run());
    expect(await store.verify()).toMatchObject({ ok: false, reason: expect.stringMatching(/idempotency key orders\/k1 .* differs from its last chained change/) });
    asAttacker((db) => db.prepare("UPDATE idempotency_keys SET owner = 'key:desk' WHERE key = 'k1'").run());
    expect((await store.verify()).ok).toBe(true);

    asAttacker((db) => db.prepare("DELETE FROM idempotency_keys WHERE key = 'k2'").run());
    expect(await store.verify()).toMatchObject({ ok: false, reason: expect.stringMatching(/orders\/k2 \(claimed\) is missing/) });
  });
});

describe('checkpoints', () => {
  const checkpointedAuditHeads = (): number[] =>
    readFileSync(checkpointPath(dir), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { heads: { audit_log: { id: number } } }).heads.audit_log.id);

  it('name only rows a durable commit put on disk: relaxed writes wait for the next durable one, so a power cut cannot look like a truncation', async () => {
    await store.close();
    store = open({ checkpointEvery: { writes: 1 } });
    await store.append(entry());
    await Promise.all([store.append(entry(), { durability: 'relaxed' }), store.append(entry(), { durability: 'relaxed' })]);
    await store.close();
    expect(checkpointedAuditHeads()).toEqual([1]);
    store = open({ checkpointEvery: { writes: 1 } });
    await store.append(entry());
    expect(checkpointedAuditHeads()).toEqual([1, 4]);
  });

  it('are handed to onCheckpoint for the log, signed', async () => {
    await store.close();
    const logged: unknown[] = [];
    store = open({ onCheckpoint: (cp) => logged.push(cp) });
    await seed(1);
    expect(logged).toEqual([expect.objectContaining({ keyId: expect.stringMatching(/^[0-9a-f]{16}$/), mac: expect.stringMatching(/^[0-9a-f]{64}$/), heads: expect.objectContaining({ audit_log: expect.objectContaining({ id: 1 }) }) })]);
  });
});

describe('the key', () => {
  it('is generated on first start into DATA_DIR/audit.key with mode 0600; audit.db, its -wal/-shm and the checkpoints are 0600 too', async () => {
    await seed(1);
    await store.close();
    store = open();
    await seed(1);
    const mode = (p: string): number => statSync(p).mode & 0o777;
    expect(mode(auditKeyPath(dir))).toBe(0o600);
    expect(readFileSync(auditKeyPath(dir), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    for (const p of [auditDbPath(dir), `${auditDbPath(dir)}-wal`, `${auditDbPath(dir)}-shm`, checkpointPath(dir)]) expect([p, mode(p)]).toEqual([p, 0o600]);
  });

  it('tightens files an older build left 0644', async () => {
    await store.close();
    for (const p of [auditDbPath(dir), auditKeyPath(dir)]) chmodSync(p, 0o644);
    store = open();
    for (const p of [auditDbPath(dir), auditKeyPath(dir)]) expect(statSync(p).mode & 0o777).toBe(0o600);
  });

  it('from AUDIT_HMAC_KEY: no key file is written, and the same key verifies later', async () => {
    await store.close();
    cleanup();
    ({ dir, cleanup } = tempDir());
    const hmacKey = 'k'.repeat(40);
    store = open({ hmacKey });
    await seed(2);
    await store.close();
    expect(existsSync(auditKeyPath(dir))).toBe(false);
    store = open({ hmacKey });
    expect(await store.verify()).toMatchObject({ ok: true, checkedRows: 4 });
  });

  it('another key: writes are refused and verify says so, naming both key ids', async () => {
    await seed(2);
    await store.close();
    store = open({ hmacKey: 'x'.repeat(40) });
    expect(store.writeBlock).toMatch(/sealed with HMAC key [0-9a-f]{16}, but the key in use is [0-9a-f]{16}/);
    expect(await store.verify()).toMatchObject({ ok: false, firstBadId: 1, reason: expect.stringMatching(/^audit_log row 1: the chain was sealed with HMAC key/) });
  });

  it('a lost key file is not silently replaced by a new key', async () => {
    await seed(1);
    await store.close();
    unlinkSync(auditKeyPath(dir));
    store = open();
    expect(existsSync(auditKeyPath(dir))).toBe(false);
    expect(store.writeBlock).toMatch(/the audit HMAC key is missing/);
    expect(await store.verify()).toMatchObject({ ok: false });
  });
});

describe('upgrading a schema-1 file in place', () => {
  /** A file as the previous release wrote it: schema 1 only, plain SHA-256 chains, a kill switch and an idempotency key. */
  function writeSchema1File(): void {
    const db = new Database(auditDbPath(dir));
    db.pragma('journal_mode = WAL');
    migrate(db, () => '2026-01-01T00:00:00.000Z', MIGRATIONS.filter((m) => m.version === 1));
    let prev = GENESIS_HASH;
    for (let id = 1; id <= 3; id++) {
      const row: Row = {
        id,
        correlation_id: `old-${id}`,
        timestamp: `2026-01-01T00:00:0${id}.000Z`,
        event_type: 'ORDER_SUBMITTED',
        event_data: '{"symbol":"AAPL"}',
        user_context: '{"apiKeyName":"desk","interface":"rest"}',
        account_id: 'DU1',
        order_id: String(id),
        symbol: 'AAPL',
        config_snapshot: null,
        prev_hash: prev,
      };
      const hash = rowHash('audit_log', row);
      db.prepare(
        'INSERT INTO audit_log (id, correlation_id, timestamp, event_type, event_data, user_context, account_id, order_id, symbol, config_snapshot, prev_hash, hash) VALUES (@id, @correlation_id, @timestamp, @event_type, @event_data, @user_context, @account_id, @order_id, @symbol, @config_snapshot, @prev_hash, @hash)',
      ).run({ ...row, hash });
      prev = hash;
    }
    db.prepare("INSERT INTO chain_heads (chain, last_id, last_hash) VALUES ('audit_log', 3, ?)").run(prev);
    db.prepare("INSERT INTO state (name, value, updated_at) VALUES ('killSwitch', '{\"engaged\":true,\"reason\":\"old\"}', '2026-01-01T00:00:00.000Z')").run();
    db.prepare(
      "INSERT INTO idempotency_keys (scope, key, request_hash, state, result, created_at, updated_at) VALUES ('orders.place', 'old-key', 'h', 'complete', '{\"orderId\":\"1\"}', 'x', 'x')",
    ).run();
    db.close();
  }

  beforeEach(async () => {
    await store.close();
    cleanup();
    ({ dir, cleanup } = tempDir());
    writeSchema1File();
    store = open();
  });

  it('verifies the old rows as they are (plain SHA-256) and the rows after the upgrade with the HMAC', async () => {
    await seed(2);
    expect(await store.verify()).toMatchObject({ ok: true, checkedRows: 3 + 2 + 2 + 2 });
    const db = new Database(auditDbPath(dir), { readonly: true });
    try {
      expect(db.prepare("SELECT first_mac_id FROM chain_anchors WHERE chain = 'audit_log'").get()).toEqual({ first_mac_id: 4 });
      expect(db.prepare("SELECT first_mac_id FROM chain_anchors WHERE chain = 'order_history'").get()).toEqual({ first_mac_id: 1 });
    } finally {
      db.close();
    }
  });

  it('adopts the kill switch and idempotency keys into the chain; an owner-less old key answers no one', async () => {
    expect(await store.getState('killSwitch')).toEqual({ engaged: true, reason: 'old' });
    await expect(store.beginIdempotent('orders.place', 'old-key', 'key:desk', 'h')).rejects.toThrow(expect.objectContaining({ code: 'IDEMPOTENCY_KEY_FOREIGN' }));
    expect((await store.verify()).ok).toBe(true);
  });

  it('an old row edited and its SHA-256 chain recomputed is caught where the keyed part starts', async () => {
    await seed(1);
    asAttacker((db) => {
      db.prepare("UPDATE audit_log SET account_id = 'DU666' WHERE id = 2").run();
      // Recompute rows 2-3 (plain SHA-256, as schema 1 did); row 4 onwards is keyed and stays as written.
      const rows = db.prepare('SELECT * FROM audit_log WHERE id <= 3 ORDER BY id').all() as Row[];
      let prev = GENESIS_HASH;
      for (const row of rows) {
        const hash = rowHash('audit_log', { ...row, prev_hash: prev });
        db.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?').run(prev, hash, row.id);
        prev = hash;
      }
    });
    const result = await store.verify();
    expect(result).toMatchObject({ ok: false, firstBadId: 4 });
    expect(result.reason).toMatch(/rows before the HMAC upgrade \(rows 1-3\)|prev_hash does not match/);
  });
});
