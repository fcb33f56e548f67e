// The audit store alone under REST load (issue 18: durable orders with 32 clients):
//
//   node bench/order-inflight.js [root ...]      (default: this worktree; each root a checkout with dist/ built)
//
// Each root's SQLite audit store (synchronous FULL, as the gateway opens it) is driven through the
// calls a REST market order without a key makes, IN_FLIGHT orders at a time (default 32, as
// bench/orders.js's clients): the kill switch's state mark, the rate facts and the day's fills, the durable record before transmit
// (id reservation, audit row, first version), the ACCEPTED and FILLED versions (relaxed, together), the
// order read back, the day's fills again and the circuit breaker's count (getState). With 32 in flight about 16 orders share a transaction.
// The roots' stores are open side by side in this process and driven in interleaved blocks of BLOCK
// orders, the first root rotating, so the machine's other load falls on all of them alike. Prints
// process CPU per order (the checkpoint worker and the WAL syncs included), writes per batch, and the
// WAL checkpoint rounds, catch-ups on the event loop and held last passes of each store.
//
// Environment: BLOCKS (default 10), BLOCK (default 320 orders), IN_FLIGHT (default 32), WARM (default 640).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ACCOUNT, entry, version } from './order-samples.js';

const BLOCKS = Number(process.env.BLOCKS ?? 10);
const BLOCK = Number(process.env.BLOCK ?? 320);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 32);
const WARM = Number(process.env.WARM ?? 640);
const RELAXED = { durability: 'relaxed' };
const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2).map((r) => resolve(r)) : [resolve(new URL('..', import.meta.url).pathname)];

async function oneOrder(s, n) {
  const { audit } = s;
  const now = new Date().toISOString();
  const day = `${now.slice(0, 10)}T00:00:00.000Z`;
  const fills = () => audit.fillsSince(ACCOUNT, day, s.lastFillRow).then((r) => (s.lastFillRow = Math.max(s.lastFillRow, r.lastRowId)));
  // The gates: the kill switch re-reads its rows only when the state mark moved (kill-switch.ts).
  await audit.stateMark();
  await Promise.all([audit.rateFacts({ minuteFromIso: new Date(Date.now() - 60_000).toISOString(), dayFromIso: day, toIso: now, riskKey: 'risk-key' }), fills()]);
  const out = await audit.recordNewOrders({
    reserve: { count: 1, floor: 0 },
    rows: (ids) =>
      ids.map((orderId) => ({
        entry: entry(orderId, n, 'ORDER_SUBMITTED', {}),
        version: version(orderId, n, 'PENDING_SUBMIT', { clientOrderId: null, placement: { riskKey: 'risk-key' }, expectNew: true }),
      })),
  });
  const orderId = out.ids[0];
  const next = (status, eventType) => (current) =>
    current.status === status || current.status === 'FILLED' ? null : { entry: entry(orderId, n, eventType, { status }), version: version(orderId, n, status, { clientOrderId: null }) };
  await Promise.all([audit.updateOrder(orderId, next('ACCEPTED', 'ORDER_ACCEPTED'), RELAXED), audit.updateOrder(orderId, next('FILLED', 'ORDER_FILLED'), RELAXED)]);
  await audit.getOrder(orderId);
  await fills();
  // The circuit breaker's count after the outcome (risk/engine.ts countOutcome): read, and written only when it changes.
  await audit.getState('circuitBreaker');
}

async function drive(s, count) {
  let n = s.n;
  const end = n + count;
  const client = async () => {
    while (n < end) await oneOrder(s, n++);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, client));
  s.n = end;
}

const stores = [];
for (const root of roots) {
  const { openAuditStore } = await import(join(root, 'dist/core/audit/sqlite/store.js'));
  const dir = mkdtempSync(join(tmpdir(), 'ibkr-bench-order-inflight-'));
  stores.push({ root, dir, audit: openAuditStore({ dataDir: dir }), n: 0, lastFillRow: 0, cpu: 0, batches: 0, writes: 0 });
}
try {
  for (const s of stores) await drive(s, WARM);
  for (let b = 0; b < BLOCKS; b++) {
    for (let k = 0; k < stores.length; k++) {
      const s = stores[(b + k) % stores.length];
      const { batches, writes } = s.audit.groupStats;
      const cpu0 = process.cpuUsage();
      await drive(s, BLOCK);
      const cpu = process.cpuUsage(cpu0);
      s.cpu += cpu.user + cpu.system;
      s.batches += s.audit.groupStats.batches - batches;
      s.writes += s.audit.groupStats.writes - writes;
    }
  }
  console.log(`audit store alone, ${IN_FLIGHT} orders in flight, ${BLOCKS} interleaved blocks of ${BLOCK} orders per root:`);
  for (const s of stores) {
    const g = s.audit.groupStats;
    const vs = s === stores[0] ? '' : `  (${(s.cpu / stores[0].cpu).toFixed(3)}× the first)`;
    console.log(`  ${s.root}  ${(s.cpu / (BLOCKS * BLOCK)).toFixed(0)} µs per order${vs}; ${(s.writes / s.batches).toFixed(1)} writes per batch; WAL rounds ${g.walCheckpoints}, catch-ups on the event loop ${g.walCatchUps}, held last passes ${g.walHeldPasses ?? '-'}`);
  }
} finally {
  for (const s of stores) {
    await s.audit.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
}
