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
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { alternate } from './alternating.js';
import { handClockSim, mainThreadCpuUs } from './hand-clock-sim.js';

const PER_TURN = Number(process.env.PER_TURN ?? 8);
const SLICE = Number(process.env.SLICE ?? 200);
const SLICES = Number(process.env.SLICES ?? 20);

async function simOf(root) {
  const { broker, OrderSpec, clock, dataDir } = await handClockSim(root, 'sim-placements');
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
      const c0 = mainThreadCpuUs();
      for (let i = 0; i < Math.ceil(SLICE / PER_TURN); i++) await turn();
      return (mainThreadCpuUs() - c0) / (Math.ceil(SLICE / PER_TURN) * PER_TURN);
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
await alternate(a, b, SLICES, 'placement', `PER_TURN=${PER_TURN}`);
await a.close();
await b.close();
