/**
 * `audit migrate` copies a SQLite history into PostgreSQL; `audit verify` and
 * `audit export` then answer the same for both stores.
 */
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConfiguredStore } from '../../core/audit/open-store.js';
import { openAuditStore } from '../../core/audit/sqlite/store.js';
import { ManualClock } from '../../core/clock.js';
import { type Config, parseConfig } from '../../core/config.js';
import { entry, tempDir, version } from '../../testing/audit/samples.js';
import { startTestPostgres, type TestPostgres } from '../../testing/postgres.js';
import { AUDIT_EXIT, registerAuditCommands } from './audit.js';
import { registerAuditMigrate } from './audit-migrate.js';

let server: TestPostgres;
let temp: { dir: string; cleanup: () => void };
let url: string;

function collector(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let buffer = '';
  stream.setEncoding('utf8').on('data', (c: string) => {
    buffer += c;
  });
  return { stream, text: () => buffer };
}

/** The CLI's audit commands with this configuration (DATABASE_URL set or not). */
async function cli(config: Config, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = collector();
  const err = collector();
  const io = { stdout: out.stream, stderr: err.stream };
  const program = new Command().exitOverride();
  const audit = registerAuditCommands(program, () => openConfiguredStore(config), io);
  registerAuditMigrate(audit, () => config, io);
  process.exitCode = undefined;
  await program.parseAsync(['node', 'ibkr-gateway', 'audit', ...args]);
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, out: out.text(), err: err.text() };
}

beforeAll(async () => {
  server = await startTestPostgres();
  url = await server.createDatabase('cli_migrate');
  temp = tempDir();
  const clock = new ManualClock('2026-01-05T15:00:00.000Z');
  const store = openAuditStore({ dataDir: temp.dir, clock });
  for (let i = 1; i <= 6; i++) {
    await store.recordOrder(entry({ orderId: String(i), correlationId: `corr-${i}` }), version(String(i)));
    clock.advance(60_000);
  }
  await store.close();
});
afterAll(async () => {
  await server?.destroy();
  temp?.cleanup();
});

describe('ibkr-gateway audit migrate', () => {
  it('says how to name the target when neither --to nor DATABASE_URL is given (exit 2)', async () => {
    const r = await cli(parseConfig({ DATA_DIR: temp.dir }), 'migrate');
    expect(r).toMatchObject({ code: AUDIT_EXIT.USAGE, err: expect.stringContaining('--to postgres://... or DATABASE_URL') });
  });

  it('copies audit.db into PostgreSQL and verifies the copy; verify and export then agree across both stores', async () => {
    const sqlite = parseConfig({ DATA_DIR: temp.dir });
    const postgres = parseConfig({ DATA_DIR: temp.dir, DATABASE_URL: url });
    const migrated = await cli(sqlite, 'migrate', '--to', url);
    expect(migrated.err).toBe('');
    expect(migrated.code).toBe(AUDIT_EXIT.OK);
    expect(migrated.out).toMatch(/audit_log 6, order_history 6, state_log 0, chain_anchors 3, chain_heads 2, idempotency_keys 0/);
    expect(migrated.out).toMatch(/verified in PostgreSQL: 12 chained rows intact \(the source verified 12\)/);

    expect(await cli(postgres, 'verify')).toMatchObject({ code: AUDIT_EXIT.OK, out: expect.stringContaining('audit log intact: 12 rows verified') });
    const fromSqlite = await cli(sqlite, 'export', '--format', 'jsonl');
    const fromPostgres = await cli(postgres, 'export', '--format', 'jsonl');
    expect(fromPostgres.out.trim().split('\n')).toHaveLength(6);
    expect(fromPostgres.out).toBe(fromSqlite.out);
  });

  it('refuses to copy twice into the same database (exit 3), leaving it as it was', async () => {
    const r = await cli(parseConfig({ DATA_DIR: temp.dir, DATABASE_URL: url }), 'migrate');
    expect(r).toMatchObject({ code: AUDIT_EXIT.UNAVAILABLE, err: expect.stringMatching(/already holds rows/) });
    expect(await cli(parseConfig({ DATA_DIR: temp.dir, DATABASE_URL: url }), 'verify')).toMatchObject({ code: AUDIT_EXIT.OK });
  });
});
