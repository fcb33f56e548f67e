/**
 * state_log's index by subject holds only named states (migration 10): the
 * kill switch is read through it on every order, while idempotency changes,
 * two per order under keys the client chose, add no entry to any index of
 * state_log. What must hold: the kill switch is still read by an index
 * search, verify() still finds each key's last change (an edited key is
 * still caught), and a file upgraded from schema 9 reads and verifies the same.
 */
import { describe, expect, it } from 'vitest';
import { useTempSqliteStore } from '../../../testing/audit/temp-store.js';
import { openAuditStore } from './store.js';

const t = useTempSqliteStore();

async function claimAndComplete(key: string): Promise<void> {
  await t.store.beginIdempotent('orders.place', key, 'key:desk', `h-${key}`);
  await t.store.completeIdempotent('orders.place', key, { orderId: key });
}

describe('the index of named states', () => {
  it('holds only named states, and the kill switch is read through it', async () => {
    await t.store.setState('killSwitch', { engaged: true, reason: 'test' });
    await claimAndComplete('k1');
    await t.store.setState('killSwitch', { engaged: false, reason: null });
    expect(await t.store.getState('killSwitch')).toEqual({ engaged: false, reason: null });
    t.withFile((db) => {
      expect(db.prepare<[], { sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'state_log_states'").get()?.sql).toContain("WHERE kind = 'state'");
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'state_log_subject'").get()).toBeUndefined();
      const plan = db
        .prepare<[string], { detail: string }>("EXPLAIN QUERY PLAN SELECT * FROM state_log WHERE kind = 'state' AND name = ? AND key = '' ORDER BY id DESC LIMIT 1")
        .all('killSwitch')
        .map((r) => r.detail);
      expect(plan.join(' ')).toContain('USING INDEX state_log_states (name=?)');
    });
  });

  it("verify() still compares each key with its last change: an edit after several changes of one key is caught", async () => {
    await claimAndComplete('k1');
    await t.store.beginIdempotent('orders.place', 'k2', 'key:desk', 'h-k2');
    await t.store.releaseIdempotent('orders.place', 'k2');
    await t.store.beginIdempotent('orders.place', 'k2', 'key:desk', 'h-k2-again');
    expect(await t.store.verify()).toMatchObject({ ok: true });
    // Matches the first claim of k2, not its last: only the last change counts.
    t.withFile((db) => db.prepare("UPDATE idempotency_keys SET request_hash = 'h-k2' WHERE key = 'k2'").run());
    expect(await t.store.verify()).toMatchObject({ ok: false, reason: expect.stringMatching(/orders\.place\/k2 in idempotency_keys differs from its last chained change \(claimed\)/) });
  });

  it('a file written under schema 9 reads the kill switch and verifies the same after the upgrade', async () => {
    await t.store.setState('killSwitch', { engaged: true, reason: 'before' });
    await claimAndComplete('k1');
    await t.store.close();
    // Back to schema 9: the index of every change, and no record of migration 10.
    t.withFile((db) => db.exec('DROP INDEX state_log_states; CREATE INDEX state_log_subject ON state_log(kind, name, key, id); DELETE FROM schema_migrations WHERE version = 10'));
    t.store = openAuditStore({ dataDir: t.dir, synchronous: 'NORMAL' });
    expect(await t.store.getState('killSwitch')).toEqual({ engaged: true, reason: 'before' });
    await claimAndComplete('k2');
    expect(t.withFile((db) => db.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'state_log_s%'").all())).toEqual([{ name: 'state_log_states' }]);
    expect(await t.store.verify()).toMatchObject({ ok: true });
  });
});
