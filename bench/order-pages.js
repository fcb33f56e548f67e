// Where one order's audit.db work goes, page by page (issue 18):
//
//   node bench/order-pages.js [root ...]      (default: this worktree)
//
// Each root is a checkout with dist/ built. Its SQLite audit store is driven
// through the two transactions a REST order with a clientOrderId makes at 50
// orders/s (traced on the gateway, 2026-12-03): the record before transmit
// (claim, id, audit row, first version: recordNewOrders, durable), then, one
// event-loop turn later, the ACCEPTED and FILLED versions, two updates that
// find nothing new and the stored result (relaxed, one batch: order-lock.ts
// queues them together), with the reads the path makes around them (the
// claim look-up, the rate facts, the day's fills). After a warm-up the WAL is emptied; the
// next ORDERS orders are written with the checkpoint worker held off, and the
// WAL file is then read frame by frame: each frame is one page image, and
// dbstat names the B-tree (table or index) each page belongs to. Prints WAL
// frames per order by B-tree, frames per commit, SQL statements per order
// (better-sqlite3 run/get/all/iterate calls) and main-thread CPU per order.
//
// Then CPU per order of each root in interleaved blocks (see interleaved()).
//
// Environment: ORDERS (default 400), WARM (default 300), BLOCKS (default 0: no CPU comparison),
// BLOCK (default 50 orders), TIMES=1 (time each statement), NO_KEY=1 (orders without a key).
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ACCOUNT, entry, turn, version } from './order-samples.js';
import { counter, countStatements, walFrames } from './sqlite-probes.js';

const ORDERS = Number(process.env.ORDERS ?? 400);
const WARM = Number(process.env.WARM ?? 300);
const BLOCKS = Number(process.env.BLOCKS ?? 0);
const BLOCK = Number(process.env.BLOCK ?? 50);
// TIMES=1: also time each statement (main-thread wall time, mostly SQLite's own work) and print the costliest.
const TIMES = process.env.TIMES === '1';
// NO_KEY=1: orders without an idempotency key or clientOrderId (no claim, no stored result), as tools' rate.mjs sends them.
const NO_KEY = process.env.NO_KEY === '1';
const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2).map((r) => resolve(r)) : [resolve(new URL('..', import.meta.url).pathname)];

const RELAXED = { durability: 'relaxed' };

async function oneOrder(audit, n) {
  const key = `k-${n}`;
  if (!NO_KEY) await audit.peekIdempotent('orders', key, 'key:bench', `h-${n}`);
  const now = new Date().toISOString();
  const day = `${now.slice(0, 10)}T00:00:00.000Z`;
  await Promise.all([
    audit.rateFacts({ minuteFromIso: new Date(Date.now() - 60_000).toISOString(), dayFromIso: day, toIso: now, riskKey: 'risk-key' }),
    audit.fillsSince(ACCOUNT, day, lastFillRow).then((r) => (lastFillRow = r.lastRowId)),
  ]);
  const out = await audit.recordNewOrders({
    claim: NO_KEY ? undefined : { scope: 'orders', key, owner: 'key:bench', requestHash: `h-${n}` },
    reserve: { count: 1, floor: 0 },
    rows: (ids) => ids.map((orderId) => ({ entry: entry(orderId, n, 'ORDER_SUBMITTED', {}), version: version(orderId, n, 'PENDING_SUBMIT', { placement: { riskKey: 'risk-key' }, expectNew: true }) })),
  });
  const orderId = out.ids[0];
  await turn();
  // After transmit, as place.ts and order-events.ts queue them in one turn: the acknowledgement's and the
  // broker events' versions (two write, two find nothing new) and the stored result, one relaxed transaction.
  const next = (status, eventType) => (current) =>
    current.status === status || current.status === 'FILLED' ? null : { entry: entry(orderId, n, eventType, { status }), version: version(orderId, n, status) };
  await Promise.all([
    audit.updateOrder(orderId, next('ACCEPTED', 'ORDER_ACCEPTED'), RELAXED),
    audit.updateOrder(orderId, next('FILLED', 'ORDER_FILLED'), RELAXED),
    audit.updateOrder(orderId, next('FILLED', 'ORDER_FILLED'), RELAXED),
    audit.updateOrder(orderId, next('ACCEPTED', 'ORDER_ACCEPTED'), RELAXED),
    NO_KEY ? null : audit.completeIdempotentFrom('orders', key, [orderId], ([o]) => ({ orderId, status: o.status }), RELAXED),
  ]);
  await audit.fillsSince(ACCOUNT, day, lastFillRow).then((r) => (lastFillRow = r.lastRowId));
  await turn();
}
let lastFillRow = 0;


async function measure(root) {
  const require = createRequire(join(root, 'package.json'));
  const Database = require('better-sqlite3');
  countStatements(Database, { timed: TIMES, textLength: 90 });
  const { openAuditStore } = await import(join(root, 'dist/core/audit/sqlite/store.js'));
  const dir = mkdtempSync(join(tmpdir(), 'ibkr-bench-order-pages-'));
  const audit = openAuditStore({ dataDir: dir, synchronous: 'NORMAL', walCheckpointEveryCommits: 1e9, walCheckpointAtFrames: 1e9, checkpointEvery: { writes: 1e9, ms: 1e12 } });
  try {
    for (let n = 0; n < WARM; n++) await oneOrder(audit, n);
    const side = new Database(audit.path);
    side.pragma('wal_checkpoint(TRUNCATE)');
    const batches0 = audit.groupStats.batches;
    const statements0 = counter.n;
    counter.times.clear();
    const cpu0 = process.cpuUsage();
    for (let n = WARM; n < WARM + ORDERS; n++) await oneOrder(audit, n);
    const cpu = process.cpuUsage(cpu0);
    const statements = counter.n - statements0;
    const batches = audit.groupStats.batches - batches0;
    const { pages, commits } = walFrames(`${audit.path}-wal`);
    const owner = new Map(side.prepare('SELECT pageno, name FROM dbstat').all().map((r) => [r.pageno, r.name]));
    side.close();
    const byTree = new Map();
    for (const p of pages) {
      const name = owner.get(p) ?? '(free/other)';
      byTree.set(name, (byTree.get(name) ?? 0) + 1);
    }
    return { frames: pages.length, commits, batches, statements, cpuUs: (cpu.user + cpu.system) / ORDERS, byTree, times: [...counter.times] };
  } finally {
    await audit.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const root of roots) {
  const r = await measure(root);
  console.log(`${root}`);
  console.log(
    `  per order: ${(r.frames / ORDERS).toFixed(1)} WAL frames, ${(r.commits / ORDERS).toFixed(2)} commits, ${(r.batches / ORDERS).toFixed(2)} batches, ${(r.statements / ORDERS).toFixed(1)} statements, ${r.cpuUs.toFixed(0)} µs CPU`,
  );
  for (const [name, n] of [...r.byTree].sort((a, b) => b[1] - a[1])) console.log(`    ${(n / ORDERS).toFixed(2).padStart(6)}  ${name}`);
  if (TIMES) {
    console.log('  statements, µs per order (calls per order):');
    for (const [k, e] of r.times.sort((a, b) => Number(b[1].ns - a[1].ns))) console.log(`    ${(Number(e.ns) / 1000 / ORDERS).toFixed(1).padStart(7)} (${(e.n / ORDERS).toFixed(2)})  ${k}`);
  }
}

/**
 * CPU per order, the roots' stores open side by side in this process and driven in interleaved
 * blocks of BLOCK orders (the order of the roots rotating), so that the machine's other load falls
 * on every root alike: on a shared machine, whole rounds of one build apart differ by ±30%.
 */
async function interleaved() {
  const stores = [];
  for (const root of roots) {
    const { openAuditStore } = await import(join(root, 'dist/core/audit/sqlite/store.js'));
    const dir = mkdtempSync(join(tmpdir(), 'ibkr-bench-order-pages-'));
    stores.push({ root, dir, audit: openAuditStore({ dataDir: dir, synchronous: 'NORMAL' }), cpu: 0, ratios: [] });
  }
  let n = 0;
  try {
    for (const s of stores) for (let i = 0; i < WARM; i++) await oneOrder(s.audit, n++);
    for (let b = 0; b < BLOCKS; b++) {
      const block = new Map();
      for (let k = 0; k < stores.length; k++) {
        const s = stores[(b + k) % stores.length];
        const cpu0 = process.cpuUsage();
        for (let i = 0; i < BLOCK; i++) await oneOrder(s.audit, n++);
        const used = process.cpuUsage(cpu0);
        s.cpu += used.user + used.system;
        block.set(s, used.user + used.system);
      }
      for (const s of stores) s.ratios.push(block.get(s) / block.get(stores[0]));
    }
  } finally {
    for (const s of stores) {
      await s.audit.close();
      rmSync(s.dir, { recursive: true, force: true });
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`CPU per order, ${BLOCKS} interleaved blocks of ${BLOCK} orders per root:`);
  for (const s of stores) {
    const vs = s === stores[0] ? '' : `  (${(s.cpu / stores[0].cpu).toFixed(3)}× the first; median per-block ratio ${median(s.ratios).toFixed(3)})`;
    console.log(`  ${s.root}  ${(s.cpu / (BLOCKS * BLOCK)).toFixed(0)} µs${vs}`);
  }
}
if (BLOCKS > 0) await interleaved();
