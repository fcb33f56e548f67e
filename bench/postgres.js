// PostgreSQL store benchmark: durable orders per second (recordOrder: audit
// row + order_history version, committed with the WAL flushed) from 32
// concurrent callers split across two stores on one database, as two gateways
// would be; beside the same on the SQLite store and, as the baseline, plain
// INSERTs of the same two JSON payloads per transaction into one PostgreSQL
// table from 32 connections (no hash chain, no advisory lock, no indexes, no
// triggers). The ratio to the baseline is the price of one serialised chain.
//
// The server: PG_BENCH_URL if set, else a throw-away cluster with fsync on,
// started from Debian's postgresql binaries by the test fixture.
// Needs `npm run build`. Run alone: `node bench/postgres.js`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { openAuditStore } from '../dist/core/audit/index.js';
import { openPostgresStore } from '../dist/core/audit/postgres/store.js';
import { transpileForChild } from '../src/testing/transpile-for-child.mjs';

const SPEC = { symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 100, orderType: 'LMT', limitPrice: 190.55, timeInForce: 'DAY', outsideRth: false };
const CONFIG = { tradingMode: 'paper', ordersEnabled: true, liveOverridePresent: false, killSwitchEngaged: false, account: 'DU1234567' };
const KEY = 'b'.repeat(40);
const CALLERS = 32;

const auditEntry = (orderId) => ({
  correlationId: `bench-${orderId}`,
  eventType: 'ORDER_SUBMITTED',
  eventData: { orderId, spec: SPEC, status: 'SUBMITTED', filledQuantity: 0, remainingQuantity: 100, fills: [], message: null },
  userContext: { interface: 'rest', apiKeyName: 'bench' },
  accountId: 'DU1234567',
  orderId,
  configSnapshot: CONFIG,
});

const orderVersion = (orderId) => ({
  orderId,
  clientOrderId: null,
  parentOrderId: null,
  role: 'ENTRY',
  accountId: 'DU1234567',
  conId: 265598,
  status: 'SUBMITTED',
  spec: SPEC,
  filledQuantity: 0,
  remainingQuantity: 100,
  avgFillPrice: null,
  commission: null,
  fills: [],
  statusMessage: null,
  correlationId: `bench-${orderId}`,
});

/** `CALLERS` concurrent loops calling write(caller, n) for `ms`; orders per second. */
async function drive(write, ms, state) {
  const deadline = performance.now() + ms;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async (_, caller) => {
      while (performance.now() < deadline) {
        state.next += 1;
        await write(caller, String(state.next));
        done += 1;
      }
    }),
  );
  return { done, seconds: (performance.now() - started) / 1000 };
}

async function startServer() {
  if (process.env.PG_BENCH_URL) return { createDatabase: async () => process.env.PG_BENCH_URL, destroy: async () => undefined };
  const root = transpileForChild(['testing/postgres.ts'], `bench-pg-${process.pid}`);
  const { startTestPostgres } = await import(pathToFileURL(join(root, 'testing', 'postgres.js')).href);
  return startTestPostgres({ durable: true });
}

export async function benchPostgres(options = {}) {
  const rounds = options.rounds ?? 3;
  const sliceMs = options.sliceMs ?? 1500;
  const server = await startServer();
  const dir = mkdtempSync(join(tmpdir(), 'ibkr-pg-bench-'));
  const totals = { pg: { done: 0, seconds: 0 }, sqlite: { done: 0, seconds: 0 }, base: { done: 0, seconds: 0 } };
  try {
    const url = await server.createDatabase('bench');
    const gateways = [await openPostgresStore({ url, dataDir: dir, hmacKey: KEY }), await openPostgresStore({ url, dataDir: dir, hmacKey: KEY })];
    const sqlite = openAuditStore({ dataDir: join(dir, 'sqlite'), hmacKey: KEY, synchronous: 'FULL' });
    const basePool = new pg.Pool({ connectionString: url, max: CALLERS });
    basePool.on('error', () => undefined);
    await basePool.query('CREATE TABLE IF NOT EXISTS bench_events (id bigserial PRIMARY KEY, timestamp text NOT NULL, event_type text NOT NULL, data text NOT NULL)');
    const baseline = async (_caller, id) => {
      const client = await basePool.connect();
      try {
        await client.query('BEGIN');
        await client.query('INSERT INTO bench_events (timestamp, event_type, data) VALUES ($1, $2, $3)', [new Date().toISOString(), 'ORDER_SUBMITTED', JSON.stringify(auditEntry(id))]);
        await client.query('INSERT INTO bench_events (timestamp, event_type, data) VALUES ($1, $2, $3)', [new Date().toISOString(), 'ORDER_VERSION', JSON.stringify(orderVersion(id))]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    };
    const state = { next: 0 };
    // Alternating slices: each figure sees the same machine load as its baseline.
    for (let r = 0; r < rounds; r++) {
      for (const [name, write] of [
        ['pg', (caller, id) => gateways[caller % 2].recordOrder(auditEntry(id), orderVersion(id))],
        ['base', baseline],
        ['sqlite', async (_caller, id) => sqlite.recordOrder(auditEntry(id), orderVersion(id))],
      ]) {
        const t = await drive(write, sliceMs, state);
        totals[name].done += t.done;
        totals[name].seconds += t.seconds;
      }
    }
    const verified = await gateways[0].verify();
    if (!verified.ok) throw new Error(`PostgreSQL chain did not verify after the benchmark: ${verified.reason}`);
    for (const g of gateways) await g.close();
    await sqlite.close();
    await basePool.end();
  } finally {
    await server.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  const rate = (t) => t.done / t.seconds;
  const [pgRate, baseRate, sqliteRate] = [rate(totals.pg), rate(totals.base), rate(totals.sqlite)];
  return [
    {
      name: 'durable orders/s on PostgreSQL (2 stores, 32 callers)',
      value: Math.round(pgRate),
      unit: 'orders/s',
      baseline: `plain INSERT ${Math.round(baseRate)}/s`,
      note: `${(pgRate / baseRate).toFixed(2)}x plain INSERTs of the same JSON from 32 connections; SQLite store same run ${Math.round(sqliteRate)}/s (${(pgRate / sqliteRate).toFixed(2)}x); fsync on, ${totals.pg.done} orders, chains verified`,
    },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchPostgres()) console.log(`${r.name}: ${r.value} ${r.unit} (${r.note})`);
}
