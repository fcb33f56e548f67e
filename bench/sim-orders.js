// The simulated broker's CPU per order as the gateway uses it, A/B between builds in ONE process (issue 18, lane sim).
//
//   node bench/sim-orders.js ROOT_A ROOT_B      (each a checkout with dist/ built, e.g. /work/wt/base .)
//
// Per order the gateway asks the simulator, in this order: the assessment's reads (getQuote, getPositions,
// getAccountSummary, getPnl, getOpenOrders, all at one instant), placeOrder a few milliseconds later, and after
// the fill event the daily-loss check's getPnl. This bench makes exactly those calls on each build's own sim
// broker (sim.db on disk, as in a gateway), with a clock moved by hand the way a 50 orders/s stream moves it
// (20 ms per order, 3 ms from assessment to placement, 2 ms more to the loss check; prices move once a second),
// and measures the main thread's CPU of each slice of SLICE orders. Builds take slices in turn (ABBA), so a slice of
// A and one of B sit under the same machine load; the figure is the ratio of the builds' CPU over all their slices.
// Environment: SLICE (orders per slice, 100), SLICES (per build, 24), POSITIONS (other stocks held before the run,
// 0: each valuation then values AAPL alone), SYMBOLS (comma-separated symbols the orders cycle through, AAPL).
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { alternate } from './alternating.js';
import { handClockSim, mainThreadCpuUs } from './hand-clock-sim.js';

const SLICE = Number(process.env.SLICE ?? 100);
const SLICES = Number(process.env.SLICES ?? 24);
const POSITIONS = Number(process.env.POSITIONS ?? 0);
const SYMBOLS = (process.env.SYMBOLS ?? 'AAPL').split(',');
const HELD = ['MSFT', 'NVDA', 'TSLA', 'AMZN', 'GOOGL', 'META', 'NFLX', 'AMD', 'INTC', 'CSCO', 'ORCL', 'IBM', 'JPM', 'BAC', 'XOM', 'JNJ', 'WMT', 'KO', 'DIS', 'V'];
const ACCOUNT = 'DU1234567';

async function simOf(root) {
  const { broker, OrderSpec, clock, dataDir } = await handClockSim(root, 'sim');
  const contracts = new Map();
  const specs = new Map();
  for (const symbol of new Set([...SYMBOLS, ...HELD.slice(0, POSITIONS)])) {
    contracts.set(symbol, (await broker.resolveContracts({ symbol, securityType: 'STK' }))[0]);
    // Parsed once (the gateway's route parses each body once, before the sim sees it).
    specs.set(symbol, OrderSpec.parse({ symbol, action: 'BUY', quantity: 1, orderType: 'MKT' }));
  }
  // The gateway's loss check follows every fill event.
  let fills = 0;
  broker.on('fill', () => (fills += 1));
  let n = 0;
  const order = async (symbol) => {
    const contract = contracts.get(symbol);
    const spec = specs.get(symbol);
    await Promise.all([broker.getQuote(contract), broker.getPositions(ACCOUNT), broker.getAccountSummary(ACCOUNT), broker.getPnl(ACCOUNT), broker.getOpenOrders()]);
    clock.advance(3);
    const [orderId] = await broker.allocateOrderIds(1);
    const before = fills;
    await broker.placeOrder({ ids: { orderId }, contract, spec, accountId: ACCOUNT, orderRef: `bench-${n++}` });
    clock.advance(2);
    if (fills > before) await broker.getPnl(ACCOUNT);
    clock.advance(15);
  };
  for (const symbol of HELD.slice(0, POSITIONS)) await order(symbol);
  for (let i = 0; i < 100; i++) await order(SYMBOLS[i % SYMBOLS.length]);
  return {
    root,
    async slice() {
      const c0 = mainThreadCpuUs();
      for (let i = 0; i < SLICE; i++) await order(SYMBOLS[i % SYMBOLS.length]);
      return (mainThreadCpuUs() - c0) / SLICE;
    },
    async close() {
      await broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const roots = process.argv.slice(2).map((r) => resolve(r));
if (roots.length !== 2) throw new Error('usage: node bench/sim-orders.js ROOT_A ROOT_B');
const [a, b] = [await simOf(roots[0]), await simOf(roots[1])];
await alternate(a, b, SLICES, 'order', `POSITIONS=${POSITIONS}, SYMBOLS=${SYMBOLS.join(',')}`);
await a.close();
await b.close();
