// What one order costs audit.db when orders do not share transactions (50/s,
// IBKR's message ceiling): transactions per order (all, and those before the
// broker's placeOrder is called), WAL frames (pages written) per order, and
// the gateway's CPU per order, A/B between builds (issue 18).
//
//   node bench/order-writes.js [root ...]      (default: this worktree)
//
// Each root is a checkout with dist/ built; each is measured in a child
// process of its own, alternately, ROUNDS times. The library client is used
// (no HTTP), on the simulator with orders enabled and audit.db durable, so
// the figures are the core's order path alone. ORDERS orders are placed one
// at a time, 20 ms apart, each with a clientOrderId (so each has an
// idempotency key, as bench/transmit.js's orders do). The WAL is not
// checkpointed during the run (fewer commits than the worker's threshold),
// so its growth is every page the orders wrote.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LIFTED_LIMITS } from './lifted-limits.js';

const SELF = fileURLToPath(import.meta.url);
const ORDERS = Number(process.env.ORDERS ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const ORDER = { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function child(root) {
  const dist = (p) => pathToFileURL(join(root, 'dist', p)).href;
  const { createClient } = await import(dist('gateway.js'));
  const { GroupCommit } = await import(dist('core/audit/sqlite/group-commit.js'));
  const counts = { batches: 0, writes: 0 };
  const flush = GroupCommit.prototype.flushNow;
  GroupCommit.prototype.flushNow = function () {
    const queued = this.queue.length;
    if (queued > 0) {
      counts.batches += 1;
      counts.writes += queued;
    }
    return flush.call(this);
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'ibkr-bench-writes-'));
  let atTransmit = 0;
  const client = await createClient({
    env: {
      DATA_DIR: dataDir,
      SIM_SESSION: 'always-open',
      ORDERS_ENABLED: 'true',
      LOG_LEVEL: 'silent',
      ...LIFTED_LIMITS,
    },
    broker: async (config, clock, logger) => {
      const { createBroker } = await import(dist('gateway.js'));
      const broker = await createBroker(config, clock, logger);
      const place = broker.placeOrder.bind(broker);
      broker.placeOrder = (request) => {
        atTransmit = counts.batches;
        return place(request);
      };
      return broker;
    },
  });
  const wal = join(dataDir, 'audit.db-wal');
  const place = async (i, tag) => {
    const before = counts.batches;
    await client.placeOrder({ ...ORDER, clientOrderId: `${tag}-${i}` });
    return atTransmit - before;
  };
  for (let i = 0; i < 10; i++) await place(i, 'warm');
  await sleep(200);
  const start = { ...counts, wal: statSync(wal).size, cpu: process.cpuUsage() };
  let beforeTransmit = 0;
  for (let i = 0; i < ORDERS; i++) {
    const t = performance.now();
    beforeTransmit += await place(i, 'run');
    const left = 20 - (performance.now() - t);
    if (left > 0) await sleep(left);
  }
  await sleep(200);
  const cpu = process.cpuUsage(start.cpu);
  const pageSize = 4096;
  const result = {
    transactions: (counts.batches - start.batches) / ORDERS,
    writes: (counts.writes - start.writes) / ORDERS,
    beforeTransmit: beforeTransmit / ORDERS,
    walFrames: (statSync(wal).size - start.wal) / (pageSize + 24) / ORDERS,
    cpuMs: (cpu.user + cpu.system) / 1000 / ORDERS,
  };
  await client.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.send?.(result);
}

function run(root) {
  return new Promise((ok, fail) => {
    const c = fork(SELF, ['--child', root], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    c.once('message', ok);
    c.once('exit', (code) => (code === 0 ? undefined : fail(new Error(`child exited ${code}`))));
  });
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]);
} else {
  const roots = process.argv.length > 2 ? process.argv.slice(2).map((r) => resolve(r)) : [resolve(new URL('..', import.meta.url).pathname)];
  const all = new Map(roots.map((r) => [r, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const root of roots) {
      const r = await run(root);
      all.get(root).push(r);
      console.log(`${root} round ${round}: ${r.transactions.toFixed(2)} transactions/order (${r.beforeTransmit.toFixed(2)} before transmit, ${r.writes.toFixed(2)} writes), ${r.walFrames.toFixed(1)} WAL frames/order, ${r.cpuMs.toFixed(2)} ms CPU/order`);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [root, rs] of all) {
    const m = (k) => median(rs.map((r) => r[k]));
    console.log(`${root} median: ${m('transactions').toFixed(2)} transactions/order (${m('beforeTransmit').toFixed(2)} before transmit), ${m('walFrames').toFixed(1)} WAL frames/order, ${m('cpuMs').toFixed(2)} ms CPU/order`);
  }
}
