/* global setImmediate */
// The simulator's placeOrder alone, PER_TURN new orders in one event-loop turn, A/B between builds in ONE process
// (issue 18, lane simtx):
//
//   node bench/sim-placements.js ROOT_A ROOT_B      (each a checkout with dist/ built, e.g. /work/wt/base .)
//
// Under 32 REST clients the audit group commit releases many placements in one turn (10-30 for most orders,
// counted on the gateway 2026-12-04), and since SimStore.folded they share one sim.db transaction; at 50 orders/s
// each is alone (PER_TURN=1). Each build's own simulator (sim.db on disk) places market orders that fill at once,
// with ids above its counter as the gateway's are (chosen by the core above orderIdFloor); the clock moves 20 ms per
// turn. Builds take slices of SLICE orders in turn (ABBA), each timed on the main thread alone (schedstat: the
// checkpoint worker and GC helpers are not counted). Prints mean and median µs per order and B/A.
// Environment: PER_TURN (8), SLICE (200), SLICES (per build, 20).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const PER_TURN = Number(process.env.PER_TURN ?? 8);
const SLICE = Number(process.env.SLICE ?? 200);
const SLICES = Number(process.env.SLICES ?? 20);
const cpuNow = () => Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;

async function simOf(root) {
  const dist = (p) => pathToFileURL(join(root, 'dist', p)).href;
  const { createSimBroker } = await import(dist('brokers/sim/index.js'));
  const { OrderSpec } = await import(dist('core/models.js'));
  const dataDir = mkdtempSync(join(tmpdir(), 'ibkr-bench-sim-placements-'));
  let now = Date.parse('2026-01-05T15:00:00.000Z');
  const clock = { now: () => now, onAdvance: () => () => undefined, advance: (ms) => (now += ms) };
  const broker = createSimBroker({ dataDir, seed: 42, session: 'always-open', startingCash: 1e12, clock });
  await broker.connect();
  const [contract] = await broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
  const spec = OrderSpec.parse({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' });
  let id = 1_000_000;
  const turn = async () => {
    const ids = Array.from({ length: PER_TURN }, () => String(id++));
    await Promise.all(ids.map((orderId) => broker.placeOrder({ ids: { orderId }, contract, spec, accountId: 'DU1234567', orderRef: `bench-${orderId}` })));
    clock.advance(20);
    await new Promise((r) => setImmediate(r));
  };
  for (let i = 0; i < Math.ceil(300 / PER_TURN); i++) await turn();
  return {
    root,
    async slice() {
      const c0 = cpuNow();
      for (let i = 0; i < Math.ceil(SLICE / PER_TURN); i++) await turn();
      return (cpuNow() - c0) / (Math.ceil(SLICE / PER_TURN) * PER_TURN);
    },
    async close() {
      await broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const roots = process.argv.slice(2).map((r) => resolve(r));
if (roots.length !== 2) throw new Error('usage: node bench/sim-placements.js ROOT_A ROOT_B');
const [a, b] = [await simOf(roots[0]), await simOf(roots[1])];
const us = { [a.root]: [], [b.root]: [] };
const ratios = [];
for (let s = 0; s < SLICES; s++) {
  const [first, second] = s % 2 === 0 ? [a, b] : [b, a];
  const x = await first.slice();
  const y = await second.slice();
  us[first.root].push(x);
  us[second.root].push(y);
  ratios.push(first === b ? x / y : y / x);
}
const median = (xs) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
const mean = (xs) => xs.reduce((x, y) => x + y, 0) / xs.length;
for (const r of roots) console.log(`${r}: ${mean(us[r]).toFixed(0)} µs CPU per placement over ${SLICES} slices (median slice ${median(us[r]).toFixed(0)})`);
console.log(`B/A: ${(mean(us[roots[1]]) / mean(us[roots[0]])).toFixed(3)} over all slices; per pair median ${median(ratios).toFixed(3)}, range ${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)} (PER_TURN=${PER_TURN})`);
await a.close();
await b.close();
