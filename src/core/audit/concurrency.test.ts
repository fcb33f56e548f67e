/**
 * Several processes on one audit.db: the same idempotency keys claimed at the same
 * moment place exactly one order per key, and the shared hash chain stays intact;
 * so does the order path's folded write, where the claim, the id and the order
 * row are one transaction (recordNewOrders), and no id is handed out twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditQuery } from '../models.js';
import { openAuditStore } from './sqlite/store.js';
import { runFixture } from '../../testing/audit/children.js';
import { compileAudit } from '../../testing/audit/compile-audit.mjs';
import { tempDir } from '../../testing/audit/samples.js';

let modulePath: string;
let dir: string;
let cleanup: () => void;

beforeAll(async () => {
  modulePath = compileAudit(`concurrency-${process.pid}`);
  ({ dir, cleanup } = tempDir());
});
afterAll(() => cleanup());

describe('concurrent duplicates from several processes', () => {
  it('place one order per idempotency key (three processes)', async () => {
    const keys = 150;
    // Open the file first so neither child pays for creating it inside the race.
    openAuditStore({ dataDir: dir }).close();
    // Two racers take the keys in the same order (same key, same moment); a third comes from the other end,
    // and each leaves the lock free a moment between keys, so more than one process wins keys even though
    // SQLite's busy back-off would let one racer run ahead.
    const racers = (['asc', 'asc', 'desc'] as const).map((direction) => runFixture('idempotent-racer.mjs', [modulePath, dir, String(keys), direction]));
    await Promise.all(racers.map((r) => r.waitFor('ready')));
    for (const r of racers) r.child.stdin?.end('go\n');
    const exits = await Promise.all(racers.map((r) => r.exited));
    for (const e of exits) expect(e, e.stderr).toMatchObject({ code: 0 });

    const results = racers.flatMap((r) => r.lines.filter((l) => l !== 'ready').map((l) => JSON.parse(l) as { key: string; kind: string; orderId: string | null }));
    expect(results).toHaveLength(3 * keys);
    const winners = new Map<string, number>();
    for (const r of results) if (r.kind === 'new') winners.set(r.key, (winners.get(r.key) ?? 0) + 1);
    expect(winners.size).toBe(keys);
    expect([...winners.values()].every((n) => n === 1)).toBe(true);
    // The loser saw the winner's claim: either still in progress or already complete.
    expect(results.filter((r) => r.kind !== 'new').every((r) => r.kind === 'replay' || r.kind === 'in-progress')).toBe(true);

    const store = openAuditStore({ dataDir: dir });
    try {
      expect(await store.listOrders({ status: 'all', limit: 1000 })).toHaveLength(keys);
      expect((await store.query(AuditQuery.parse({ limit: 1000 }))).entries).toHaveLength(keys);
      // Per key: an audit row and an order version, and in state_log its claim and its completion.
      expect(await store.verify()).toMatchObject({ ok: true, checkedRows: 4 * keys });
      // More than one process won keys, so the claims really were contended across processes.
      const pids = new Set((await store.listOrders({ status: 'all', limit: 1000 })).map((o) => o.orderId.split('-').pop()));
      expect(pids.size).toBeGreaterThanOrEqual(2);
    } finally {
      await store.close();
    }
  }, 60_000);

  it("place one order per key through the order path's folded write (claim + id + row in one transaction, three processes); no id is used twice", async () => {
    const keys = 150;
    const folded = tempDir();
    try {
      openAuditStore({ dataDir: folded.dir }).close();
      const racers = (['asc', 'asc', 'desc'] as const).map((direction) => runFixture('folded-racer.mjs', [modulePath, folded.dir, String(keys), direction]));
      await Promise.all(racers.map((r) => r.waitFor('ready')));
      for (const r of racers) r.child.stdin?.end('go\n');
      const exits = await Promise.all(racers.map((r) => r.exited));
      for (const e of exits) expect(e, e.stderr).toMatchObject({ code: 0 });

      const results = racers.flatMap((r) => r.lines.filter((l) => l !== 'ready').map((l) => JSON.parse(l) as { key: string; kind: string; orderId: string | null; pid: number }));
      expect(results).toHaveLength(3 * keys);
      const won = results.filter((r) => r.kind === 'new');
      expect(new Set(won.map((r) => r.key)).size).toBe(keys);
      expect(won).toHaveLength(keys);
      // A loser wrote nothing and took no id: the ids are 1..keys, each once.
      expect(won.map((r) => Number(r.orderId)).sort((a, b) => a - b)).toEqual(Array.from({ length: keys }, (_, i) => i + 1));
      // The loser saw the winner's claim (in its look-up or inside its write): in progress or already answered.
      expect(results.filter((r) => r.kind !== 'new').every((r) => r.kind === 'replay' || r.kind === 'in-progress')).toBe(true);
      expect(new Set(won.map((r) => r.pid)).size).toBeGreaterThanOrEqual(2);

      const store = openAuditStore({ dataDir: folded.dir });
      try {
        expect(await store.listOrders({ status: 'all', limit: 1000 })).toHaveLength(keys);
        // Per key: an audit row and an order version, and in state_log its claim and its completion.
        expect(await store.verify()).toMatchObject({ ok: true, checkedRows: 4 * keys });
      } finally {
        await store.close();
      }
    } finally {
      folded.cleanup();
    }
  }, 60_000);
});
