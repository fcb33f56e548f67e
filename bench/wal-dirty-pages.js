// Why a relaxed batch's pages are synced in the idle time after it (WalSync.soon, issue 18): the
// fdatasync a durable commit waits for before transmit writes every dirty page of the WAL, so the
// previous order's relaxed after-transmit pages, left dirty, lengthen the next order's wait. One
// table-per-page WAL, 25 pages per commit, orders 22 ms apart; alternating: (dirty) the previous
// order's 25 relaxed pages still dirty, (synced) the same pages synced in the gap. Prints the
// durable commit's fdatasync p50/p90/p99 for each. `node bench/wal-dirty-pages.js` (N pairs, 120).
import { fdatasync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';

const dir = mkdtempSync(join(tmpdir(), 'wal-dirty-pages-'));
const db = new Database(join(dir, 'a.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 0');
for (let i = 0; i < 60; i++) db.exec(`CREATE TABLE u${i} (id INTEGER PRIMARY KEY, a TEXT)`);
const inserts = Array.from({ length: 60 }, (_, i) => db.prepare(`INSERT INTO u${i} (a) VALUES (?)`));
const write = (from, n) => db.transaction(() => { for (let i = from; i < from + n; i++) inserts[i].run('x'.repeat(100)); })();
const fd = openSync(join(dir, 'a.db-wal'), 'r');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sync = () => new Promise((r) => { const t = performance.now(); fdatasync(fd, () => r(performance.now() - t)); });
// A WAL grown once and restarted, as in a long-running gateway: commits overwrite it in place.
for (let i = 0; i < 150; i++) write(0, 50);
await sync();
db.pragma('wal_checkpoint(RESTART)');
const res = { dirty: [], synced: [] };
for (let i = 0; i < Number(process.env.N ?? 120); i++) {
  for (const k of ['dirty', 'synced']) {
    await sleep(10);
    write(30, 25); // the previous order's after-transmit writes (relaxed)
    if (k === 'synced') void sync();
    await sleep(12);
    write(0, 25); // this order's pre-transmit write (durable)
    res[k].push(await sync());
  }
  if (i % 40 === 39) db.pragma('wal_checkpoint(RESTART)');
}
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]; };
for (const [k, xs] of Object.entries(res)) console.log(`${k.padEnd(7)} durable fdatasync p50 ${pct(xs, 50).toFixed(3)}  p90 ${pct(xs, 90).toFixed(3)}  p99 ${pct(xs, 99).toFixed(3)} ms`);
db.close();
rmSync(dir, { recursive: true, force: true });
