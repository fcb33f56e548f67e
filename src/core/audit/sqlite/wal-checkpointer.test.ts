/**
 * The checkpoint worker copies the whole WAL into the database file off the
 * event loop: a round that reaches the WAL's last frame leaves the connection
 * nothing to copy on its own thread, and the next commit starts the WAL again
 * from its beginning. A round that cannot reach it (a reader still needs the
 * older frames) is finished by the connection, so the WAL never grows without
 * bound. The worker's connection can be closed synchronously.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WalCheckpointer, type CheckpointOutcome } from './wal-checkpointer.js';

let dir: string;
let file: string;
let db: Database.Database;
let checkpointer: WalCheckpointer | null = null;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wal-checkpointer-'));
  file = join(dir, 'test.db');
  db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
});
afterEach(() => {
  checkpointer?.closeNow();
  checkpointer = null;
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

const insert = (n: number): void => {
  const st = db.prepare('INSERT INTO rows (body) VALUES (?)');
  for (let i = 0; i < n; i++) st.run('x'.repeat(2000));
};
/** Frames in the WAL now, as SQLite reports them (a PASSIVE checkpoint that copies nothing: busy readers aside, it reports). */
const walFrames = (): number => (db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0]?.log ?? -1;
const outcomes = (into: CheckpointOutcome[], n: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = (): void => {
      if (into.length >= n) resolve();
      else if (Date.now() - started > 10_000) reject(new Error(`only ${into.length} checkpoint rounds in 10 s`));
      else setTimeout(poll, 10);
    };
    poll();
  });
/** `count` commits, each reported to the checkpointer (a round starts when they reach its trigger). */
const commitEach = (count: number): void => {
  for (let i = 0; i < count; i++) {
    insert(1);
    checkpointer?.committed();
  }
};
/**
 * A reader whose snapshot is the WAL's end keeps the WAL from restarting while this thread waits without taking
 * events (the worker finishes its round, its report stays queued); then a commit lands before the report is
 * taken: the round reached the last frame it saw, and was overtaken.
 */
const overtakeTheRound = (): void => {
  const reader = new Database(file);
  try {
    reader.exec('BEGIN');
    reader.prepare('SELECT COUNT(*) FROM rows').get();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1_000);
    insert(1);
  } finally {
    reader.close();
  }
};

describe('WalCheckpointer', () => {
  it('a round reaches the last frame in the worker: the connection copies nothing, and the next commit restarts the WAL', async () => {
    const seen: CheckpointOutcome[] = [];
    let ownCopies = 0;
    checkpointer = new WalCheckpointer(file, 20, () => (ownCopies += 1), (o) => seen.push(o));
    commitEach(20);
    await outcomes(seen, 1);
    expect(seen[0]).toMatchObject({ ok: true });
    expect(seen[0]?.copied).toBe(seen[0]?.frames);
    expect(seen[0]?.frames).toBeGreaterThanOrEqual(20);
    expect(ownCopies).toBe(0);
    expect(checkpointer.catchUps).toBe(0);
    // The next write starts the WAL over: it now holds only that commit's frames.
    insert(1);
    expect(walFrames()).toBeLessThan(5);
  });

  it('a round the worker cannot finish (a reader still needs older frames) is finished by the connection', async () => {
    const seen: CheckpointOutcome[] = [];
    let ownCopies = 0;
    checkpointer = new WalCheckpointer(file, 10, () => (ownCopies += 1), (o) => seen.push(o));
    insert(5);
    // Another connection reads a snapshot and keeps it: frames committed after it cannot be copied yet.
    const reader = new Database(file);
    try {
      reader.exec('BEGIN');
      reader.prepare('SELECT COUNT(*) FROM rows').get();
      for (let i = 0; i < 10; i++) {
        insert(1);
        checkpointer.committed();
      }
      await outcomes(seen, 1);
      expect(seen[0]?.passes).toBeGreaterThan(1);
      expect(seen[0]?.copied).toBeLessThan(seen[0]?.frames ?? 0);
      expect(ownCopies).toBe(1);
      expect(checkpointer.catchUps).toBe(1);
    } finally {
      reader.close();
    }
  });

  it('closeNow returns once the worker has closed its connection: closing the database then removes its WAL', async () => {
    const seen: CheckpointOutcome[] = [];
    checkpointer = new WalCheckpointer(file, 5, () => undefined, (o) => seen.push(o));
    commitEach(5);
    await outcomes(seen, 1);
    expect(checkpointer.closeNow()).toBe(true);
    // SQLite deletes the WAL only when the last connection to the file closes.
    db.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
    expect(existsSync(`${file}-shm`)).toBe(false);
  });

  it('a round that writers overtake (they append after its last pass, so the WAL cannot restart) is finished by the connection', async () => {
    const seen: CheckpointOutcome[] = [];
    let ownCopies = 0;
    checkpointer = new WalCheckpointer(file, 10, () => (ownCopies += 1), (o) => seen.push(o));
    commitEach(10);
    overtakeTheRound();
    await outcomes(seen, 1);
    expect(seen[0]?.copied).toBe(seen[0]?.frames);
    expect(ownCopies).toBe(1);
    expect(checkpointer.catchUps).toBe(1);
  });

  it('a round that writers overtake, with a WriteHold, is finished by the worker while the writes are held: the connection copies nothing and the WAL restarts', async () => {
    const seen: CheckpointOutcome[] = [];
    let ownCopies = 0;
    const holds: string[] = [];
    checkpointer = new WalCheckpointer(file, 10, () => (ownCopies += 1), (o) => seen.push(o), {
      hold: () => holds.push('hold'),
      release: () => holds.push('release'),
    });
    commitEach(10);
    overtakeTheRound();
    // The overtaken round, then the last pass made while writes were held.
    await outcomes(seen, 2);
    expect(holds).toEqual(['hold', 'release']);
    expect(seen[1]?.copied).toBe(seen[1]?.frames);
    expect(ownCopies).toBe(0);
    expect(checkpointer.catchUps).toBe(0);
    expect(checkpointer.heldPasses).toBe(1);
    insert(1);
    expect(walFrames()).toBeLessThan(5);
  });

  it('a hold ends when the checkpointer closes, whether or not its last pass reported', async () => {
    const seen: CheckpointOutcome[] = [];
    const holds: string[] = [];
    checkpointer = new WalCheckpointer(file, 10, () => undefined, (o) => seen.push(o), {
      hold: () => {
        holds.push('hold');
        // Closed as the hold begins: the last pass asked for next may never report.
        checkpointer?.closeNow();
      },
      release: () => holds.push('release'),
    });
    commitEach(10);
    overtakeTheRound();
    await outcomes(seen, 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(holds).toEqual(['hold', 'release']);
  });

  it('with a frame trigger, a round starts once the WAL holds that many frames, however few commits wrote them', async () => {
    const seen: CheckpointOutcome[] = [];
    checkpointer = new WalCheckpointer(file, { walFrames: 40 }, () => undefined, (o) => seen.push(o));
    commitEach(10);
    // Ten small commits (a frame or two each): fewer than 40 frames, no round.
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toHaveLength(0);
    // One commit of 100 rows of 2 KB (50 pages) passes it: the next committed() starts a round.
    db.transaction(() => insert(100))();
    checkpointer.committed();
    await outcomes(seen, 1);
    expect(seen[0]).toMatchObject({ ok: true });
    expect(seen[0]?.frames).toBeGreaterThanOrEqual(40);
  });

  it('closeNow does not wait for a worker that could not open the database', () => {
    const seen: CheckpointOutcome[] = [];
    checkpointer = new WalCheckpointer(join(dir, 'missing.db'), 1, () => undefined, (o) => seen.push(o));
    checkpointer.committed();
    // This thread blocks (no event reaches it) while the worker starts and dies: closeNow sees only the flag.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1_000);
    const started = Date.now();
    expect(checkpointer.closeNow(5_000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('closeNow without a worker started returns at once', () => {
    checkpointer = new WalCheckpointer(file, 1000, () => undefined);
    insert(1);
    checkpointer.committed();
    expect(checkpointer.closeNow()).toBe(true);
  });
});
