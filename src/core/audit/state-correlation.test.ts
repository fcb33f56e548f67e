/**
 * Every row carries its own request's correlation id, also when writes of
 * several requests share one transaction (group commit). The state_log rows
 * of idempotency keys (claimed, completed) carry the id their write named
 * (WriteOptions.correlationId: the gateway's way), or else the id of the
 * caller's withContext (a library user's way), never that of whichever write
 * happened to schedule the batch. On SQLite and on PostgreSQL.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../testing/audit/samples.js';
import { startTestPostgres, type TestPostgres } from '../../testing/postgres.js';
import { withContext } from '../logging.js';
import { openAuditStore } from './sqlite/store.js';
import { openPostgresStore } from './postgres/store.js';
import type { AuditStore } from './types.js';

const CALLERS = ['corr-a', 'corr-b', 'corr-c'];

type Passing = 'named by the write' | "in the caller's withContext";

/** Three requests claim and then answer their own keys, each step in one turn: one batch for the claims, one for the results. */
async function claimAndAnswer(store: AuditStore, passing: Passing): Promise<void> {
  if (passing === 'named by the write') {
    await Promise.all(CALLERS.map((c) => store.beginIdempotent('orders.place', `key-${c}`, 'key:desk', 'h', { correlationId: c })));
    await Promise.all(CALLERS.map((c) => store.completeIdempotent('orders.place', `key-${c}`, { answer: c }, { durability: 'relaxed', correlationId: c })));
    return;
  }
  const as = <T>(correlationId: string, fn: () => Promise<T>): Promise<T> => withContext({ correlationId, interface: 'rest', apiKeyName: 'desk' }, fn);
  await Promise.all(CALLERS.map((c) => as(c, () => store.beginIdempotent('orders.place', `key-${c}`, 'key:desk', 'h'))));
  await Promise.all(CALLERS.map((c) => as(c, () => store.completeIdempotent('orders.place', `key-${c}`, { answer: c }))));
}

const PASSINGS: Passing[] = ['named by the write', "in the caller's withContext"];

const expected = CALLERS.flatMap((c) => [{ key: `key-${c}`, change: 'claimed', correlation_id: c }]).concat(CALLERS.map((c) => ({ key: `key-${c}`, change: 'completed', correlation_id: c })));

let temp: { dir: string; cleanup: () => void };
afterEach(() => temp?.cleanup());

describe("state rows written together carry each request's own correlation id", () => {
  it.each(PASSINGS)('on SQLite, the id %s', async (passing) => {
    temp = tempDir();
    const store = openAuditStore({ dataDir: temp.dir, synchronous: 'NORMAL' });
    try {
      await claimAndAnswer(store, passing);
    } finally {
      await store.close();
    }
    const db = new Database(`${temp.dir}/audit.db`, { readonly: true });
    try {
      expect(db.prepare("SELECT key, change, correlation_id FROM state_log WHERE kind = 'idempotency' ORDER BY id").all()).toEqual(expected);
    } finally {
      db.close();
    }
  });

  describe('on PostgreSQL', () => {
    let server: TestPostgres;
    beforeAll(async () => {
      server = await startTestPostgres();
    });
    afterAll(async () => {
      await server?.destroy();
    });

    it.each(PASSINGS)('the same, the id %s', async (passing) => {
      temp = tempDir();
      const url = await server.createDatabase(passing === 'named by the write' ? 'state_correlation_named' : 'state_correlation_ambient');
      const store = await openPostgresStore({ url, dataDir: temp.dir, hmacKey: 'k'.repeat(40) });
      try {
        await claimAndAnswer(store, passing);
      } finally {
        await store.close();
      }
      const raw = new pg.Client({ connectionString: url });
      await raw.connect();
      try {
        expect((await raw.query("SELECT key, change, correlation_id FROM state_log WHERE kind = 'idempotency' ORDER BY id")).rows).toEqual(expected);
      } finally {
        await raw.end();
      }
    });
  });
});
