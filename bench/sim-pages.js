// Where one order's sim.db work goes, page by page and statement by statement (issue 18, lane simtx):
//
//   node bench/sim-pages.js [root ...]      (default: this worktree; each a checkout with dist/ built)
//
// Drives each root's own simulated broker (sim.db on disk) with the calls the gateway makes per order at 50/s
// (bench/sim-orders.js's stream: the assessment's reads, placeOrder of a market order that fills at once, the
// loss check's P&L; the clock moved by hand 20 ms per order). After a warm-up the WAL is emptied and the
// checkpoint worker kept off; the next ORDERS orders are written, then the WAL is read frame by frame: each
// frame is one page image, and dbstat names the B-tree each page belongs to. Prints WAL frames per order by
// B-tree, commits and statements per order (better-sqlite3 run/get/all/iterate calls, by text with TIMES=1,
// timed on the main thread) and main-thread CPU per order (schedstat).
// PER_TURN=k places k orders in one event-loop turn (their reads first, then the k placements, as the audit group
// commit releases them under load), so they share one sim.db transaction since SimStore.folded.
// Environment: ORDERS (default 200, under the checkpoint round), WARM (default 100), TIMES=1, PER_TURN (1).
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { counter, countStatements, walFrames } from './sqlite-probes.js';
import { handClockSim, mainThreadCpuUs } from './hand-clock-sim.js';

const ORDERS = Number(process.env.ORDERS ?? 200);
const WARM = Number(process.env.WARM ?? 100);
const TIMES = process.env.TIMES === '1';
const PER_TURN = Number(process.env.PER_TURN ?? 1);
const ACCOUNT = 'DU1234567';
const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2).map((r) => resolve(r)) : [resolve(new URL('..', import.meta.url).pathname)];


async function measure(root) {
  const require = createRequire(join(root, 'package.json'));
  const Database = require('better-sqlite3');
  countStatements(Database, { timed: TIMES, textLength: 100 });
  const { broker, OrderSpec, clock, dataDir } = await handClockSim(root, 'sim-pages');
  // The store, reached through the broker's private fields (plain properties at run time): its checkpoint
  // worker is kept off so that the WAL holds every frame the measured orders wrote.
  const store = broker.sim.store;
  store.walCheckpoints.committed = () => undefined;
  const contract = (await broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' }))[0];
  const spec = OrderSpec.parse({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' });
  let n = 0;
  // PER_TURN orders: their reads, then their placements in one turn, then the loss check's P&L (one call of order()
  // stands for PER_TURN orders).
  const order = async () => {
    await Promise.all([broker.getQuote(contract), broker.getPositions(ACCOUNT), broker.getAccountSummary(ACCOUNT), broker.getPnl(ACCOUNT), broker.getOpenOrders()]);
    clock.advance(3);
    const ids = await broker.allocateOrderIds(PER_TURN);
    await Promise.all(ids.map((orderId) => broker.placeOrder({ ids: { orderId }, contract, spec, accountId: ACCOUNT, orderRef: `bench-${n++}` })));
    clock.advance(2);
    await broker.getPnl(ACCOUNT);
    clock.advance(15);
  };
  try {
    for (let i = 0; i < WARM / PER_TURN; i++) await order();
    const file = join(dataDir, 'sim.db');
    const side = new Database(file);
    side.pragma('wal_checkpoint(TRUNCATE)');
    const statements0 = counter.n;
    const commits0 = store.commits;
    counter.times.clear();
    const cpu0 = mainThreadCpuUs();
    for (let i = 0; i < ORDERS / PER_TURN; i++) await order();
    const cpu = mainThreadCpuUs() - cpu0;
    const statements = counter.n - statements0;
    const storeCommits = store.commits - commits0;
    const { pages, commits } = walFrames(`${file}-wal`);
    const owner = new Map(side.prepare('SELECT pageno, name FROM dbstat').all().map((r) => [r.pageno, r.name]));
    side.close();
    const byTree = new Map();
    for (const p of pages) {
      const name = owner.get(p) ?? '(free/other)';
      byTree.set(name, (byTree.get(name) ?? 0) + 1);
    }
    return { frames: pages.length, commits, storeCommits, statements, cpuUs: cpu / ORDERS, byTree, times: [...counter.times] };
  } finally {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

for (const root of roots) {
  const r = await measure(root);
  console.log(root);
  console.log(
    `  per order: ${(r.frames / ORDERS).toFixed(2)} WAL frames, ${(r.commits / ORDERS).toFixed(2)} WAL commits (${(r.storeCommits / ORDERS).toFixed(2)} counted by the store), ${(r.statements / ORDERS).toFixed(2)} statements, ${r.cpuUs.toFixed(0)} µs main-thread CPU`,
  );
  for (const [name, k] of [...r.byTree].sort((a, b) => b[1] - a[1])) console.log(`    ${(k / ORDERS).toFixed(2).padStart(6)}  ${name}`);
  if (TIMES) {
    console.log('  statements, µs per order (calls per order):');
    for (const [k, e] of r.times.sort((a, b) => Number(b[1].ns - a[1].ns))) console.log(`    ${(Number(e.ns) / 1000 / ORDERS).toFixed(1).padStart(7)} (${(e.n / ORDERS).toFixed(2)})  ${k}`);
  }
}
