// Audit log benchmark: durable appends per second, p99 append latency and file
// growth per 10,000 orders, each set against a baseline measured in the same
// run on the same disk: a plain better-sqlite3 INSERT of the same JSON with
// the same journal and sync settings, but no hash chain, no indexes, no
// triggers and no order_history. The ratio is the price of the guarantees.
//
// Needs `npm run build` (imports the compiled module). Run alone with
// `node bench/audit.js`, or through bench/run.js which calls benchAudit().
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { openAuditStore } from '../dist/core/audit/index.js';

const SPEC = { symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 100, orderType: 'LMT', limitPrice: 190.55, timeInForce: 'DAY', outsideRth: false };
const CONFIG = { tradingMode: 'paper', ordersEnabled: true, liveOverridePresent: false, killSwitchEngaged: false, account: 'DU1234567' };

function auditEntry(i) {
  const orderId = String(i);
  return {
    correlationId: `bench-${i}`,
    eventType: 'ORDER_SUBMITTED',
    eventData: { orderId, spec: SPEC, status: 'SUBMITTED', filledQuantity: 0, remainingQuantity: 100, fills: [], message: null },
    userContext: { interface: 'rest', apiKeyName: 'bench' },
    accountId: 'DU1234567',
    orderId,
    configSnapshot: CONFIG,
  };
}

function orderVersion(i) {
  const orderId = String(i);
  return {
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
    correlationId: `bench-${i}`,
  };
}

/** A bare WAL database with one table, as a caller without an audit layer would write. */
function openBaseline(dir, synchronous) {
  const db = new Database(join(dir, 'baseline.db'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, timestamp TEXT NOT NULL, event_type TEXT NOT NULL, data TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO events (timestamp, event_type, data) VALUES (?, ?, ?)');
  return { db, write: (payload) => insert.run(new Date().toISOString(), 'ORDER_SUBMITTED', JSON.stringify(payload)) };
}

const nowNs = () => process.hrtime.bigint();

function percentile(sortedMs, p) {
  if (sortedMs.length === 0) return 0;
  return sortedMs[Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1)];
}

/**
 * Times two writers in alternating blocks of `block` calls, up to maxOps each
 * or budgetMs in all, so that both see the same disk and machine load (a
 * shared machine's fsync time drifts by 10x within seconds).
 */
async function timeInterleaved(writeA, writeB, maxOps, budgetMs, block = 50) {
  const runs = [
    { write: writeA, latencies: [], ns: 0n },
    { write: writeB, latencies: [], ns: 0n },
  ];
  const deadline = nowNs() + BigInt(budgetMs) * 1_000_000n;
  let i = 0;
  while (i < maxOps && nowNs() < deadline) {
    for (const run of runs) {
      for (let j = 1; j <= block && i + j <= maxOps; j++) {
        const t0 = nowNs();
        await run.write(i + j);
        const took = nowNs() - t0;
        run.ns += took;
        run.latencies.push(Number(took) / 1e6);
      }
    }
    i += block;
  }
  return runs.map((run) => {
    run.latencies.sort((a, b) => a - b);
    return {
      ops: run.latencies.length,
      perSecond: run.latencies.length / (Number(run.ns) / 1e9),
      p50: percentile(run.latencies, 50),
      p99: percentile(run.latencies, 99),
    };
  });
}

const fileSize = (path) => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

export async function benchAudit(options = {}) {
  const maxOps = options.maxOps ?? 3000;
  const budgetMs = options.budgetMs ?? 8000;
  const orders = options.orders ?? 10_000;
  const root = mkdtempSync(join(options.dir ?? tmpdir(), 'ibkr-audit-bench-'));
  try {
    // 1 and 2: durable appends (synchronous=FULL: on disk when append() returns).
    const storeDir = join(root, 'durable');
    const store = openAuditStore({ dataDir: storeDir, synchronous: 'FULL' });
    const baseDir = mkdtempSync(join(root, 'base-'));
    const base = openBaseline(baseDir, 'FULL');
    // One append awaited at a time: each is its own commit and fsync (the 32-in-flight row is in bench/orders.js).
    const [durable, raw] = await timeInterleaved(
      (i) => store.append(auditEntry(i)),
      (i) => base.write(auditEntry(i)),
      maxOps,
      budgetMs,
    );
    base.db.close();
    const verifyStart = nowNs();
    const verdict = await store.verify();
    const verifyMs = Number(nowNs() - verifyStart) / 1e6;
    await store.close();
    if (!verdict.ok) throw new Error(`audit chain did not verify after the benchmark: ${verdict.reason}`);

    // 3: file growth per 10,000 orders, one recordOrder (audit row + order_history version) each.
    // synchronous=NORMAL here: the sync mode changes time, not size. Sizes are taken after close,
    // when SQLite has checkpointed the WAL into the main file and removed it.
    const growthDir = join(root, 'growth');
    await openAuditStore({ dataDir: growthDir, synchronous: 'NORMAL' }).close();
    const emptySize = fileSize(join(growthDir, 'audit.db'));
    const growthStore = openAuditStore({ dataDir: growthDir, synchronous: 'NORMAL' });
    const growthStart = nowNs();
    for (let i = 1; i <= orders; i++) await growthStore.recordOrder(auditEntry(i), orderVersion(i));
    const recordSeconds = Number(nowNs() - growthStart) / 1e9;
    await growthStore.close();
    const growth = ((fileSize(join(growthDir, 'audit.db')) - emptySize) * 10_000) / orders;

    const growthBaseDir = mkdtempSync(join(root, 'growth-base-'));
    const growthBase = openBaseline(growthBaseDir, 'NORMAL');
    growthBase.db.close();
    const baseEmpty = fileSize(join(growthBaseDir, 'baseline.db'));
    const growthBase2 = new Database(join(growthBaseDir, 'baseline.db'));
    growthBase2.pragma('synchronous = NORMAL');
    const insert = growthBase2.prepare('INSERT INTO events (timestamp, event_type, data) VALUES (?, ?, ?)');
    // The baseline stores the same two payloads (event and order version) as plain JSON rows.
    for (let i = 1; i <= orders; i++) {
      insert.run(new Date().toISOString(), 'ORDER_SUBMITTED', JSON.stringify(auditEntry(i)));
      insert.run(new Date().toISOString(), 'ORDER_VERSION', JSON.stringify(orderVersion(i)));
    }
    growthBase2.close();
    const baseGrowth = ((fileSize(join(growthBaseDir, 'baseline.db')) - baseEmpty) * 10_000) / orders;

    const mib = (bytes) => bytes / (1024 * 1024);
    return [
      {
        name: 'audit durable appends per second',
        value: Math.round(durable.perSecond),
        unit: 'appends/s',
        note: `${ratio(durable.perSecond, raw.perSecond)} of a raw better-sqlite3 INSERT (${Math.round(raw.perSecond)}/s), both WAL + synchronous=FULL, ${durable.ops} appends each, timed in alternating blocks; verify() walked them in ${verifyMs.toFixed(0)} ms`,
      },
      {
        name: 'audit append latency p99',
        value: Number(durable.p99.toFixed(3)),
        unit: 'ms',
        note: `${ratio(durable.p99, raw.p99)} the raw INSERT p99 (${raw.p99.toFixed(3)} ms); p50 ${durable.p50.toFixed(3)} ms vs ${raw.p50.toFixed(3)} ms`,
      },
      {
        name: 'audit.db growth per 10,000 orders',
        value: Number(mib(growth).toFixed(2)),
        unit: 'MiB',
        note: `${ratio(growth, baseGrowth)} a raw table holding the same JSON (${mib(baseGrowth).toFixed(2)} MiB); ${Math.round(growth / 10_000)} bytes/order for one audit row + one order_history version with hashes and indexes; ${Math.round(orders / recordSeconds)} recordOrder/s at synchronous=NORMAL`,
      },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchAudit()) console.log(`${r.name}: ${r.value} ${r.unit} (${r.note})`);
}
