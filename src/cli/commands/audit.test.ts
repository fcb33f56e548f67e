import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditDbPath, openAuditStore } from '../../core/audit/sqlite/store.js';
import { CSV_COLUMNS } from '../../core/audit/export.js';
import { entry, tempDir, version } from '../../testing/audit/samples.js';
import { ManualClock } from '../../core/clock.js';
import { AUDIT_EXIT, registerAuditCommands } from './audit.js';

let dir: string;
let cleanup: () => void;

function collector(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let buffer = '';
  stream.setEncoding('utf8').on('data', (c: string) => {
    buffer += c;
  });
  return { stream, text: () => buffer };
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = collector();
  const err = collector();
  const program = new Command().exitOverride();
  registerAuditCommands(program, () => openAuditStore({ dataDir: dir, synchronous: 'NORMAL' }), { stdout: out.stream, stderr: err.stream });
  process.exitCode = undefined;
  await program.parseAsync(['node', 'ibkr-gateway', 'audit', ...args]);
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, out: out.text(), err: err.text() };
}

beforeEach(async () => {
  ({ dir, cleanup } = tempDir());
  const clock = new ManualClock('2026-01-05T15:00:00.000Z');
  const store = openAuditStore({ dataDir: dir, clock, synchronous: 'NORMAL' });
  for (let i = 1; i <= 6; i++) {
    await store.recordOrder(entry({ orderId: String(i), correlationId: `corr-${i}`, eventType: i % 2 ? 'ORDER_SUBMITTED' : 'ORDER_FILLED' }), version(String(i)));
    clock.advance(60_000);
  }
  await store.close();
});

afterEach(async () => {
  process.exitCode = undefined;
  cleanup();
});

describe('audit verify', () => {
  it('exits 0 when the chains are intact', async () => {
    const r = await cli('verify');
    expect(r.code).toBe(AUDIT_EXIT.OK);
    expect(r.out).toMatch(/intact: 12 rows verified, consistent with 6 signed checkpoints \(last 2026-01-05T15:05:00.000Z\)/);
  });

  it('exits 1 naming the first missing row when the tail was truncated and the head moved back (against the last checkpoint)', async () => {
    const db = new Database(auditDbPath(dir));
    db.exec('DROP TRIGGER audit_log_no_delete; DROP TRIGGER order_history_no_delete; DROP TRIGGER chain_heads_forward_only');
    db.exec('DELETE FROM order_history WHERE audit_id >= 5; DELETE FROM audit_log WHERE id >= 5');
    for (const table of ['audit_log', 'order_history']) {
      db.prepare(`UPDATE chain_heads SET last_id = 4, last_hash = (SELECT hash FROM ${table} WHERE id = 4) WHERE chain = ?`).run(table);
    }
    db.close();
    const r = await cli('verify');
    expect(r.code).toBe(AUDIT_EXIT.BROKEN);
    expect(r.err).toMatch(/FAILED at row 5: audit_log row 5: rows 5-6 are missing: the checkpoint of 2026-01-05T15:05:00.000Z \(audit.checkpoints line 6\) recorded the chain up to row 6/);
  });

  it('exits 1 naming the first bad row after an edit', async () => {
    const db = new Database(auditDbPath(dir));
    db.exec("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET account_id = 'DU999' WHERE id = 4");
    db.close();
    const r = await cli('verify');
    expect(r.code).toBe(AUDIT_EXIT.BROKEN);
    expect(r.err).toMatch(/FAILED at row 4: audit_log row 4/);
    const json = await cli('verify', '--json');
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, firstBadId: 4 });
  });

  it('exits 3 when the log cannot be opened', async () => {
    dir = join(auditDbPath(dir), 'not-a-dir');
    const r = await cli('verify');
    expect(r.code).toBe(AUDIT_EXIT.UNAVAILABLE);
    expect(r.err).toMatch(/AUDIT_UNAVAILABLE/);
  });
});

describe('audit query', () => {
  it('filters and pages', async () => {
    const r = await cli('query', '--event-type', 'ORDER_FILLED', '--limit', '2');
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(2);
    expect(r.out).toMatch(/^#2 {2}2026-01-05T15:01:00.000Z {2}ORDER_FILLED/);
    expect(r.err).toMatch(/--after-id 4/);
    const next = await cli('query', '--event-type', 'ORDER_FILLED', '--limit', '2', '--after-id', '4', '--json');
    expect(JSON.parse(next.out)).toMatchObject({ entries: [{ id: 6 }], nextAfterId: null });
  });

  it('accepts order, correlation, account and a time range', async () => {
    const r = await cli('query', '--order-id', '3', '--correlation-id', 'corr-3', '--account', 'DU111111', '--since', '2026-01-05T15:02:00Z', '--until', '2026-01-05 15:03:00Z', '--json');
    expect(JSON.parse(r.out).entries.map((e: { id: number }) => e.id)).toEqual([3]);
  });

  it('exits 2 on a bad argument', async () => {
    expect((await cli('query', '--since', 'yesterday-ish')).code).toBe(AUDIT_EXIT.USAGE);
    const r = await cli('query', '--limit', '0');
    expect(r.code).toBe(AUDIT_EXIT.USAGE);
    expect(r.err).toMatch(/--limit/);
  });
});

describe('audit export', () => {
  it('writes JSON Lines that parse back to the rows', async () => {
    const r = await cli('export', '--format', 'jsonl');
    const rows = r.out.trim().split('\n').map((l) => JSON.parse(l) as { id: number; hash: string });
    expect(rows.map((x) => x.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rows.every((x) => /^[0-9a-f]{64}$/.test(x.hash))).toBe(true);
  });

  it('writes RFC 4180 CSV to a file, quoting commas, quotes and newlines', async () => {
    const file = join(dir, 'audit.csv');
    const r = await cli('export', '--format', 'csv', '--out', file, '--event-type', 'ORDER_SUBMITTED');
    expect(r.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith(`${CSV_COLUMNS.join(',')}\r\n`)).toBe(true);
    // The sample event data holds quotes and a comma: the field is quoted and its quotes doubled.
    expect(text).toContain(',"{""note"":""a \\""quoted\\"", comma\\nnewline"",');
    expect(text.split('\r\n').filter((l) => /^\d+,/.test(l)).map((l) => l.split(',')[0])).toEqual(['1', '3', '5']);
  });
});
