/**
 * Group commit on SQLite: writes asked for in one event-loop turn share one
 * transaction (one fsync at synchronous=FULL), and a batch whose transaction
 * cannot commit leaves nothing half-written: each write is tried again alone,
 * and what still fails is refused with AUDIT_UNAVAILABLE.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entry, tempDir, version } from '../../../testing/audit/samples.js';
import { AuditQuery } from '../../models.js';
import { GroupCommit } from './group-commit.js';
import { auditDbPath, openAuditStore, type SqliteAuditStore } from './store.js';

let dir: string;
let cleanup: () => void;
let store: SqliteAuditStore;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  store = openAuditStore({ dataDir: dir, synchronous: 'FULL', busyTimeoutMs: 50 });
});
afterEach(async () => {
  await store.close();
  cleanup();
});

describe('group commit', () => {
  it('32 orders asked for in one turn are one transaction', async () => {
    const before = store.groupStats.batches;
    const ids = Array.from({ length: 32 }, (_, i) => String(i + 1));
    await Promise.all(ids.map((id) => store.recordOrder(entry({ orderId: id }), version(id, 'SUBMITTED'))));
    expect(store.groupStats.batches - before).toBe(1);
    expect(store.groupStats.largestBatch).toBe(32);
  });

  it('writes asked for in later turns are later transactions', async () => {
    const before = store.groupStats.batches;
    await store.append(entry({ orderId: 'a' }));
    await store.append(entry({ orderId: 'b' }));
    expect(store.groupStats.batches - before).toBe(2);
  });

  it('a batch of relaxed writes is handed to the WAL sync as it commits, so the next durable write syncs only its own pages', async () => {
    await store.append(entry());
    const before = store.groupStats.walSyncs;
    await store.append(entry(), { durability: 'relaxed' });
    // Started as the batch committed; the relaxed write's caller did not wait for it.
    expect(store.groupStats.walSyncs).toBe(before + 1);
    // A durable write after it still waits for a sync that started after its own commit.
    await store.append(entry());
    expect(store.groupStats.walSyncs).toBe(before + 2);
    expect((await store.verify()).ok).toBe(true);
  });

  it('a batch that cannot commit (another process holds the write lock) refuses every write and writes none', async () => {
    const holder = new Database(auditDbPath(dir));
    try {
      holder.exec('BEGIN IMMEDIATE');
      const results = await Promise.allSettled(['1', '2', '3'].map((id) => store.recordOrder(entry({ orderId: id }), version(id, 'SUBMITTED'))));
      expect(results.every((r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'AUDIT_UNAVAILABLE')).toBe(true);
      holder.exec('ROLLBACK');
    } finally {
      holder.close();
    }
    expect((await store.query(AuditQuery.parse({}))).entries).toHaveLength(0);
    // Refused cleanly: the store writes again, from row 1, chain intact.
    expect((await store.append(entry())).id).toBe(1);
    expect((await store.verify()).ok).toBe(true);
  });
});

describe('a batch of several writes', () => {
  /** A GroupCommit over a bare table, with every statement SQLite ran (its verbose log) and the commits made. */
  function bareGroup(): { db: Database.Database; group: GroupCommit; statements: string[]; commits: () => number } {
    const statements: string[] = [];
    const db = new Database(join(dir, 'bare.db'), { verbose: (sql) => statements.push(String(sql)) });
    db.exec('CREATE TABLE t (v TEXT PRIMARY KEY)');
    let commits = 0;
    const tx = db.transaction((fn: () => unknown) => fn());
    const group = new GroupCommit(db, {
      commit: (_durable, _size, body) => {
        const result = tx.immediate(() => body('now'));
        commits += 1;
        return result as ReturnType<typeof body>;
      },
      synced: () => null,
      relaxedCommitted: () => undefined,
      toError: (err) => err,
    });
    statements.length = 0;
    return { db, group, statements, commits: () => commits };
  }
  const insert = (db: Database.Database, runs: Map<string, number>, v: string) => (): string => {
    runs.set(v, (runs.get(v) ?? 0) + 1);
    db.prepare('INSERT INTO t (v) VALUES (?)').run(v);
    return v;
  };
  const savepoints = (statements: string[]): number => statements.filter((sql) => sql.startsWith('SAVEPOINT')).length;
  const turns = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
  };

  it('asked for while writes are held, waits for release and is then written in one transaction, in order', async () => {
    const { db, group, commits } = bareGroup();
    try {
      const runs = new Map<string, number>();
      group.hold();
      const done: string[] = [];
      const written = ['a', 'b', 'c'].map((v) => group.enqueue(v, false, insert(db, runs, v)).then((r) => done.push(r)));
      await turns(5);
      expect(commits()).toBe(0);
      expect(done).toEqual([]);
      group.release();
      await Promise.all(written);
      expect(done).toEqual(['a', 'b', 'c']);
      expect(commits()).toBe(1);
      expect(db.prepare('SELECT v FROM t ORDER BY rowid').pluck().all()).toEqual(['a', 'b', 'c']);
    } finally {
      db.close();
    }
  });

  it('held, is still written by flushNow (what close calls)', async () => {
    const { db, group, commits } = bareGroup();
    try {
      group.hold();
      const written = group.enqueue('a', false, insert(db, new Map(), 'a'));
      group.flushNow();
      expect(await written).toBe('a');
      expect(commits()).toBe(1);
    } finally {
      db.close();
    }
  });

  it('is written once, in one transaction with no SAVEPOINT, when no write throws', async () => {
    const { db, group, statements, commits } = bareGroup();
    try {
      const runs = new Map<string, number>();
      expect(await Promise.all(['a', 'b', 'c'].map((v) => group.enqueue(v, false, insert(db, runs, v))))).toEqual(['a', 'b', 'c']);
      expect([...runs.values()]).toEqual([1, 1, 1]);
      expect(commits()).toBe(1);
      expect(savepoints(statements)).toBe(0);
    } finally {
      db.close();
    }
  });

  it('is written again, each write in its own SAVEPOINT, when one throws: that one alone is refused and rolled back, in one commit', async () => {
    const { db, group, statements, commits } = bareGroup();
    try {
      const runs = new Map<string, number>();
      // 'a' twice: the second insert breaks the primary key.
      const results = await Promise.allSettled(['a', 'b', 'a', 'c'].map((v) => group.enqueue(v, false, insert(db, runs, v))));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect(db.prepare('SELECT v FROM t ORDER BY v').pluck().all()).toEqual(['a', 'b', 'c']);
      // The first pass stopped at the failing write and was rolled back; the second ran every write.
      expect(Object.fromEntries(runs)).toEqual({ a: 4, b: 2, c: 1 });
      expect(savepoints(statements)).toBe(4);
      expect(commits()).toBe(1);
    } finally {
      db.close();
    }
  });
});
