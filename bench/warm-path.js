// What 50 orders/s costs per order on this machine because each order comes
// alone (issue 18): the same order, through the library, in one process, after
// three kinds of gap, in interleaved blocks:
//
// - 3 ms idle: long enough for the last order's tail (its fill, events and
//   after-transmit rows) to finish, short enough that the order path's code
//   and data are still in the CPU's caches;
// - 20 ms idle: what a steady 50/s leaves between orders;
// - 17 ms of previews, then 3 ms idle: the same gap spent running the order
//   path's reads and risk checks (previewOrder); what a preview keeps in the
//   gateway's own per-instant memos has expired when the order starts.
//
// Each order is timed the same way whatever came before: process CPU (all
// threads) from its start to 3 ms after its promise settles, so its own tail
// is counted and nothing of the gap is. If the 20 ms gap makes the same work
// dearer and previews in the gap take most of that back, the excess is the
// machine running the path cold (caches and predictors refilled), not work the
// gateway does per order: a floor under the 50/s latency that code with the
// same footprint cannot go below.
//
//   node bench/warm-path.js       (needs `npm run build`; BLOCK, ROUNDS, BENCH_DIST)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { LIFTED_LIMITS } from './lifted-limits.js';

// BENCH_DIST: another build's dist/ (an A/B in one sitting).
const DIST = process.env.BENCH_DIST ? pathToFileURL(`${process.env.BENCH_DIST.replace(/\/$/, '')}/`).href : new URL('../dist/', import.meta.url).href;
const BLOCK = Number(process.env.BLOCK ?? 40);
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const TAIL_MS = 3;
const ORDER = { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const GAPS = {
  'after 3 ms idle': async () => {},
  'after 20 ms idle': () => sleep(20 - TAIL_MS),
  'after 17 ms of previews + 3 ms idle': async (client) => {
    const end = performance.now() + 20 - 2 * TAIL_MS;
    while (performance.now() < end) await client.previewOrder(ORDER);
    await sleep(TAIL_MS);
  },
};

export async function benchWarmPath() {
  const { createClient } = await import(`${DIST}gateway.js`);
  const dataDir = mkdtempSync(join(tmpdir(), 'ibkr-bench-warm-'));
  const client = await createClient({
    env: { DATA_DIR: dataDir, SIM_SESSION: 'always-open', ORDERS_ENABLED: 'true', LOG_LEVEL: 'silent', ...LIFTED_LIMITS },
  });
  try {
    for (let i = 0; i < 300; i++) await client.placeOrder(ORDER);
    const cpu = Object.fromEntries(Object.keys(GAPS).map((m) => [m, []]));
    const wall = Object.fromEntries(Object.keys(GAPS).map((m) => [m, []]));
    const modes = Object.keys(GAPS);
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the modes' order each round, so a machine that speeds up or slows down favours none.
      for (const mode of [...modes.slice(round % modes.length), ...modes.slice(0, round % modes.length)]) {
        for (let i = 0; i < BLOCK; i++) {
          await GAPS[mode](client);
          const c0 = process.cpuUsage();
          const t0 = performance.now();
          await client.placeOrder(ORDER);
          wall[mode].push((performance.now() - t0) * 1000);
          await sleep(TAIL_MS);
          const c = process.cpuUsage(c0);
          cpu[mode].push(c.user + c.system);
        }
      }
    }
    const [hot, idle, warm] = modes.map((m) => median(cpu[m]));
    const [hotWall, idleWall, warmWall] = modes.map((m) => median(wall[m]));
    return [
      {
        name: "orders: one order's CPU after 20 ms idle vs 3 ms",
        value: idle / hot,
        unit: 'x',
        baseline: `after 3 ms ${hot.toFixed(0)} us`,
        note: `library placeOrder, process CPU to 3 ms after it settles, median of ${ROUNDS * BLOCK} each: after 20 ms idle (a steady 50/s) ${idle.toFixed(0)} us; after 17 ms of previews + 3 ms idle ${warm.toFixed(0)} us (${(warm / hot).toFixed(2)}x); placeOrder's wall ${hotWall.toFixed(0)} / ${idleWall.toFixed(0)} / ${warmWall.toFixed(0)} us. What previews in the gap take back is the path run cold on this machine`,
      },
    ];
  } finally {
    await client.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchWarmPath()) console.log(`${r.name}: ${r.value.toFixed(2)}${r.unit} (${r.baseline}); ${r.note}`);
}
