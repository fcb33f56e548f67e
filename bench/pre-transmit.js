// One order's write before transmit, alone (at 50 orders/s nothing shares its
// transaction), both ways the order path has made it (issue 18):
//
//   three: beginIdempotent (relaxed) -> reserveOrderIds (relaxed) -> recordOrder (durable)
//   one:   recordNewOrders (claim + ids + row in one durable transaction)
//
// on SQLite (audit.db durable: synchronous FULL, the WAL synced off the event
// loop) and on PostgreSQL (fsync on), the two shapes alternated in slices in
// the same run, so both see the same disk and load. Prints wall time per
// order (p50/p99) and this process's CPU per order. Needs `npm run build`.
//
//   node bench/pre-transmit.js          (ORDERS per slice, default 100; SLICES, default 4; PG=0 or SQLITE=0 skips one)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { openAuditStore } from '../dist/core/audit/index.js';
import { openPostgresStore } from '../dist/core/audit/postgres/store.js';
import { transpileForChild } from '../src/testing/transpile-for-child.mjs';

const ORDERS = Number(process.env.ORDERS ?? 100);
const SLICES = Number(process.env.SLICES ?? 4);
const SPEC = { symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 1, orderType: 'MKT', timeInForce: 'DAY', outsideRth: false };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const rows = (tag) => (ids) =>
  ids.map((orderId) => ({
    entry: { correlationId: tag, eventType: 'ORDER_SUBMITTED', eventData: { spec: SPEC, idempotencyKey: tag }, userContext: { interface: 'rest', apiKeyName: 'bench' }, accountId: 'DU1234567', orderId, configSnapshot: { ordersEnabled: true } },
    version: { orderId, clientOrderId: tag, parentOrderId: null, role: 'ENTRY', accountId: 'DU1234567', conId: 265598, status: 'PENDING_SUBMIT', spec: SPEC, filledQuantity: 0, remainingQuantity: 1, avgFillPrice: null, commission: null, fills: [], statusMessage: null, correlationId: tag, placement: { riskKey: tag }, expectNew: true },
  }));

const RELAXED = { durability: 'relaxed' };
const shapes = {
  three: async (store, tag) => {
    await store.beginIdempotent('orders.place', tag, 'key:bench', 'h', RELAXED);
    const first = await store.reserveOrderIds(1, 1);
    const [row] = rows(tag)([String(first)]);
    await store.recordOrder(row.entry, row.version);
  },
  one: async (store, tag) => {
    const out = await store.recordNewOrders({ claim: { scope: 'orders.place', key: tag, owner: 'key:bench', requestHash: 'h' }, reserve: { count: 1, floor: 1 }, rows: rows(tag) });
    if (out.kind !== 'recorded') throw new Error(`not recorded: ${out.kind}`);
  },
};

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

/** Orders one at a time, 20 ms apart (50/s): wall ms each, and CPU ms per order. */
async function slice(store, shape, tag) {
  const wall = [];
  const cpu0 = process.cpuUsage();
  let idle = 0;
  for (let i = 0; i < ORDERS; i++) {
    const t = performance.now();
    await shapes[shape](store, `${tag}-${i}`);
    const ms = performance.now() - t;
    wall.push(ms);
    const pause = Math.max(0, 20 - ms);
    const s = performance.now();
    await sleep(pause);
    idle += performance.now() - s;
  }
  const used = process.cpuUsage(cpu0);
  return { wall, cpuMs: (used.user + used.system) / 1000 / ORDERS, userMs: used.user / 1000 / ORDERS, idle };
}

async function compare(name, store) {
  const all = { three: { wall: [], cpu: [], user: [] }, one: { wall: [], cpu: [], user: [] } };
  for (const shape of ['one', 'three']) await slice(store, shape, `warm-${shape}`);
  for (let s = 0; s < SLICES; s++) {
    for (const shape of s % 2 === 0 ? ['three', 'one'] : ['one', 'three']) {
      const r = await slice(store, shape, `${shape}-${s}`);
      all[shape].wall.push(...r.wall);
      all[shape].cpu.push(r.cpuMs);
      all[shape].user.push(r.userMs);
    }
  }
  const line = (shape) => {
    const { wall, cpu, user } = all[shape];
    return `${shape.padEnd(5)} p50 ${pct(wall, 50).toFixed(3)} ms  p99 ${pct(wall, 99).toFixed(3)} ms  CPU ${pct(cpu, 50).toFixed(3)} ms/order (user ${pct(user, 50).toFixed(3)})`;
  };
  console.log(`${name}\n  ${line('three')}\n  ${line('one')}\n  ratio one/three: p50 ${(pct(all.one.wall, 50) / pct(all.three.wall, 50)).toFixed(2)}, CPU ${(pct(all.one.cpu, 50) / pct(all.three.cpu, 50)).toFixed(2)}`);
}

const dir = mkdtempSync(join(tmpdir(), 'ibkr-bench-pretransmit-'));
try {
  if (process.env.SQLITE !== '0') {
    const sqlite = openAuditStore({ dataDir: join(dir, 'sqlite'), synchronous: 'FULL' });
    await compare('SQLite (audit.db, durable)', sqlite);
    await sqlite.close();
  }
  if (process.env.PG !== '0') {
    const root = transpileForChild(['testing/postgres.ts'], `bench-pre-${process.pid}`);
    const { startTestPostgres } = await import(pathToFileURL(join(root, 'testing', 'postgres.js')).href);
    const server = await startTestPostgres({ durable: true });
    try {
      const url = await server.createDatabase('pretransmit');
      const pgStore = await openPostgresStore({ url, dataDir: join(dir, 'pg'), hmacKey: 'p'.repeat(40) });
      await compare('PostgreSQL (fsync on)', pgStore);
      await pgStore.close();
    } finally {
      await server.destroy();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
