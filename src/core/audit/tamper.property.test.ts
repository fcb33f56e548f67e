/**
 * Property: whatever the log holds and whichever single row is edited (any
 * column) or deleted behind the store's back, verify() fails, and at the
 * right row of the right table.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { auditDbPath, openAuditStore } from './sqlite/store.js';
import { entry, tempDir, version } from '../../testing/audit/samples.js';

const EDITS = {
  audit_log: [
    "correlation_id = correlation_id || 'x'",
    "timestamp = '2020-01-01T00:00:00.000Z'",
    "event_type = 'ORDER_CANCELLED'",
    "event_data = replace(event_data, 'AAPL', 'MSFT')",
    "user_context = replace(user_context, 'rest', 'mcp')",
    "account_id = CASE WHEN account_id IS NULL THEN 'DU9' ELSE NULL END",
    "order_id = ifnull(order_id, '') || '0'",
    "config_snapshot = CASE WHEN config_snapshot IS NULL THEN '{}' ELSE NULL END",
    "prev_hash = CASE WHEN substr(prev_hash, 1, 1) = 'f' THEN 'e' ELSE 'f' END || substr(prev_hash, 2)",
  ],
  order_history: [
    "status = 'CANCELLED'",
    'filled_quantity = filled_quantity + 1',
    "spec = replace(spec, '190.5', '19.05')",
    'version = version + 100',
    'audit_id = audit_id + 1',
    "created_at = '2020-01-01T00:00:00.000Z'",
    'avg_fill_price = 1.5',
  ],
} as const;

type Table = keyof typeof EDITS;

const scenario = fc.record({
  orders: fc.integer({ min: 1, max: 12 }),
  extraAppends: fc.integer({ min: 0, max: 6 }),
  table: fc.constantFrom<Table>('audit_log', 'order_history'),
  pick: fc.nat(),
  editIndex: fc.nat(),
  action: fc.constantFrom<'edit' | 'delete'>('edit', 'delete'),
});

describe('tamper detection (property)', () => {
  it('detects any single-row edit or deletion at the first affected row', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const { dir, cleanup } = tempDir();
        try {
          const clock = new ManualClock();
          const store = openAuditStore({ dataDir: dir, clock, synchronous: 'NORMAL' });
          for (let i = 1; i <= s.orders; i++) {
            await store.recordOrder(entry({ orderId: String(i % 4), accountId: i % 3 ? 'DU1' : null }), version(String(i % 4), i % 5 === 0 ? 'FILLED' : 'SUBMITTED'));
            if (i <= s.extraAppends) await store.append(entry({ orderId: null, eventType: 'KILL_SWITCH', configSnapshot: null }));
            clock.advance(1000);
          }
          await store.close();

          const db = new Database(auditDbPath(dir));
          const rows = (db.prepare(`SELECT COUNT(*) AS n FROM ${s.table}`).get() as { n: number }).n;
          const target = (s.pick % rows) + 1;
          db.exec(`DROP TRIGGER ${s.table}_no_update; DROP TRIGGER ${s.table}_no_delete;`);
          const edits = EDITS[s.table];
          const change = edits[s.editIndex % edits.length];
          // Every edit in EDITS changes the row whatever it held, so the tamper is never a no-op.
          if (s.action === 'edit') db.prepare(`UPDATE ${s.table} SET ${change} WHERE id = ?`).run(target);
          else db.prepare(`DELETE FROM ${s.table} WHERE id = ?`).run(target);
          db.close();

          const reopened = openAuditStore({ dataDir: dir, clock, synchronous: 'NORMAL' });
          const result = await reopened.verify();
          await reopened.close();
          expect(result.ok).toBe(false);
          // An edit fails at the edited row; a deletion at the row after it (or, for the last row, where it was).
          const expected = s.action === 'edit' ? target : target === rows ? rows : target + 1;
          expect(result.firstBadId).toBe(expected);
          expect(result.reason?.startsWith(`${s.table} row ${expected}`)).toBe(true);
        } finally {
          cleanup();
        }
      }),
      { numRuns: 60 },
    );
  });
});
