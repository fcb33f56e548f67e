/**
 * Batches of writes on PostgreSQL (runBatch): jobs seldom fail, so a batch of
 * several runs first with no savepoint, a round trip per job saved; a job that
 * throws sends the batch round again with a savepoint per job, where it alone
 * is refused and rolled back and the others commit in one transaction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPostgres, type TestPostgres } from '../../../testing/postgres.js';
import { createPool, type Pool } from './connection.js';
import { migratePostgres } from './migrations.js';
import { type BatchJob, runBatch } from './transaction.js';

let server: TestPostgres;
let pool: Pool;

beforeAll(async () => {
  server = await startTestPostgres();
  pool = await createPool(await server.createDatabase('batch'));
  await migratePostgres(pool, () => new Date().toISOString());
  await pool.query('CREATE TABLE scratch (v text PRIMARY KEY)');
});
afterAll(async () => {
  await pool?.end();
  await server?.destroy();
});

/** Jobs inserting each value (a repeated value breaks the primary key), counting how often each ran. */
function inserts(values: string[], runs: Map<string, number>): BatchJob[] {
  return values.map((v) => ({
    relaxed: true,
    run: async (client) => {
      runs.set(v, (runs.get(v) ?? 0) + 1);
      await client.query('INSERT INTO scratch (v) VALUES ($1)', [v]);
      return v;
    },
  }));
}

/** The values committed. */
const stored = async (): Promise<string[]> => (await pool.query<{ v: string }>('SELECT v FROM scratch ORDER BY v')).rows.map((r) => r.v);

describe('a batch of several jobs', () => {
  it('runs each job once when none throws, all committed', async () => {
    const runs = new Map<string, number>();
    const outcomes = await runBatch(pool, inserts(['a1', 'a2', 'a3'], runs));
    expect(outcomes).toEqual([
      { ok: true, value: 'a1' },
      { ok: true, value: 'a2' },
      { ok: true, value: 'a3' },
    ]);
    expect([...runs.values()]).toEqual([1, 1, 1]);
    expect(await stored()).toEqual(['a1', 'a2', 'a3']);
  });

  it('runs again, each job in its own savepoint, when one throws: that one alone is refused, the others commit', async () => {
    const runs = new Map<string, number>();
    const outcomes = await runBatch(pool, inserts(['b1', 'b2', 'b1', 'b3'], runs));
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, false, true]);
    expect((outcomes[2] as { error: { code?: string } }).error.code).toBe('23505');
    // The first pass stopped at the failing job and was rolled back; the second ran every job.
    expect(Object.fromEntries(runs)).toEqual({ b1: 4, b2: 2, b3: 1 });
    expect((await stored()).filter((v) => v.startsWith('b'))).toEqual(['b1', 'b2', 'b3']);
  });

  it('a single job that throws is refused and leaves nothing, run once', async () => {
    const runs = new Map<string, number>();
    const outcomes = await runBatch(pool, inserts(['a1'], runs));
    expect(outcomes.map((o) => o.ok)).toEqual([false]);
    expect(Object.fromEntries(runs)).toEqual({ a1: 1 });
  });
});
