/* global setInterval, clearInterval */
// What one order's rows cost inside SQLite, A/B between builds (issue 18):
//
//   node bench/order-rows.js [root ...]      (default: this worktree)
//
// Each root is a checkout with dist/ built. Its own SQLite audit store and
// sim.db store are driven through the audit and sim calls one order makes on
// the REST path at 50 orders/s, one event-loop turn apart so that, as at that
// rate, no two orders share a transaction: claim the idempotency key, reserve
// the id, the durable pre-transmit version, the accepted and filled versions,
// the order read back as the path reads it, the risk reads, the stored
// result (a build with AuditStore.updateOrder writes the accepted and filled
// versions and the result in one transaction, as its order path does); in sim.db the order saved as placed and as filled, its fill and
// position, in one transaction. No HTTP, no sim engine, no risk engine: only
// the rows. Roots alternate ROUNDS times; each round times ORDERS orders
// after a warm-up, as main-thread CPU per order (process.cpuUsage, with
// synchronous=NORMAL so no WAL sync runs on the thread pool).
//
// Environment: ORDERS (default 1500), ROUNDS (default 4).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ACCOUNT, entry, SPEC, turn, version } from './order-samples.js';

const ORDERS = Number(process.env.ORDERS ?? 1500);
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const WARM = 300;
const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2).map((r) => resolve(r)) : [resolve(new URL('..', import.meta.url).pathname)];

let fillsMark = 0;

async function oneOrder(audit, sim, n) {
  const key = `k-${n}`;
  await audit.beginIdempotent('orders', key, 'key:bench', `h-${n}`, { durability: 'relaxed' });
  await turn();
  const [first] = [await audit.reserveOrderIds(1, 0)];
  const orderId = String(first);
  const dayStart = new Date(Date.now() - 3_600_000).toISOString();
  const now = new Date().toISOString();
  await audit.countPlaced(new Date(Date.now() - 60_000).toISOString(), false, now);
  await audit.lastPlacedWithKey('risk-key', now);
  fillsMark = (await audit.fillsSince(ACCOUNT, dayStart, fillsMark)).lastRowId;
  await turn();
  await audit.recordOrder(entry(orderId, n, 'ORDER_SUBMITTED', {}), version(orderId, n, 'PENDING_SUBMIT', { placement: { riskKey: 'risk-key' }, expectNew: true }));
  await audit.getOrder(orderId);
  sim.transaction(() => {
    const record = { state: { orderId, status: 'SUBMITTED', updatedAt: now }, spec: SPEC, ocaGroup: null, filledValue: '0', commission: '0' };
    sim.saveOrder(record, true);
    sim.setMeta('next_exec_seq', String(n + 1));
    sim.addFill({ execId: `e.${orderId}`, orderId, time: now, side: 'BUY', quantity: 1, price: 252.85, commission: 1 }, 265598, ACCOUNT);
    sim.setMeta('cash', String(1e9 - n * 253.85));
    sim.saveOrder({ ...record, state: { ...record.state, status: 'FILLED' }, filledValue: '252.85', commission: '1' }, false);
  });
  await turn();
  if (typeof audit.updateOrder === 'function') {
    // Builds with updateOrder (after-transmit fold): the status, the fill and the stored answer queued together, one transaction.
    const relaxed = { durability: 'relaxed' };
    await Promise.all([
      audit.updateOrder(orderId, () => ({ entry: entry(orderId, n, 'ORDER_STATUS', { status: 'ACCEPTED' }), version: version(orderId, n, 'ACCEPTED') }), relaxed),
      audit.updateOrder(orderId, () => ({ entry: entry(orderId, n, 'ORDER_FILL', { status: 'FILLED' }), version: version(orderId, n, 'FILLED') }), relaxed),
      audit.completeIdempotentFrom('orders', key, [orderId], ([o]) => ({ orderId, status: o?.status }), relaxed),
    ]);
    fillsMark = (await audit.fillsSince(ACCOUNT, dayStart, fillsMark)).lastRowId;
    await turn();
    return;
  }
  await audit.getOrder(orderId);
  await audit.recordOrder(entry(orderId, n, 'ORDER_STATUS', { status: 'ACCEPTED' }), version(orderId, n, 'ACCEPTED'), { durability: 'relaxed' });
  await turn();
  await audit.getOrder(orderId);
  await audit.recordOrder(entry(orderId, n, 'ORDER_FILL', { status: 'FILLED' }), version(orderId, n, 'FILLED'), { durability: 'relaxed' });
  await audit.getOrder(orderId);
  fillsMark = (await audit.fillsSince(ACCOUNT, dayStart, fillsMark)).lastRowId;
  await turn();
  await audit.completeIdempotent('orders', key, { orderId, status: 'FILLED' }, { durability: 'relaxed' });
  await audit.getOrder(orderId);
  await turn();
}

async function round(root) {
  const { openAuditStore } = await import(join(root, 'dist/core/audit/sqlite/store.js'));
  const { SimStore } = await import(join(root, 'dist/brokers/sim/store.js'));
  const dir = mkdtempSync(join(tmpdir(), 'ibkr-bench-order-rows-'));
  const audit = openAuditStore({ dataDir: dir, synchronous: 'NORMAL' });
  const sim = new SimStore(dir);
  fillsMark = 0;
  try {
    for (let n = 0; n < WARM; n++) await oneOrder(audit, sim, n);
    const before = process.cpuUsage();
    for (let n = WARM; n < WARM + ORDERS; n++) await oneOrder(audit, sim, n);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / ORDERS;
  } finally {
    sim.close();
    // Builds before 29e818e let close() wait on an unref'd checkpoint worker: with nothing else holding the event loop,
    // the process exited before it ended. The timer keeps such a build (the usual A/B base) alive.
    const hold = setInterval(() => undefined, 1000);
    await audit.close();
    clearInterval(hold);
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = new Map(roots.map((r) => [r, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const root of roots) {
    const us = await round(root);
    results.get(root)?.push(us);
    console.log(`${root}  round ${r}: ${us.toFixed(0)} µs CPU per order`);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const [base] = roots;
for (const [root, xs] of results) {
  const ratio = root === base ? '' : `  (${(median(xs) / median(results.get(base))).toFixed(3)}× ${base}, median of rounds)`;
  console.log(`${root}  median ${median(xs).toFixed(0)} µs CPU per order${ratio}`);
}
