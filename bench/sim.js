// Benchmarks of the simulated broker's matching engine (run by bench/run.js after `npm run build`).
//
// Two figures, each next to a baseline measured in the same run on the same
// machine, so the ratio means something on a slow CI box as on a laptop:
// - orders per second through placeOrder (validation, buying-power check,
//   matching, ledger, SQLite write-through), against a plain loop that builds
//   the same number of order objects;
// - resting orders evaluated per tick (the tick loop re-checking working limit
//   orders as the market moves), against a plain loop comparing the same
//   number of limits with a price.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSimBroker } from '../dist/brokers/sim/index.js';
import { ManualClock } from '../dist/core/clock.js';
import { OrderSpec } from '../dist/core/models.js';

const ACCOUNT = 'DU1234567';
const PLACE_ORDERS = 2000;
const RESTING_ORDERS = 5000;
const TICKS = 20;
const BLOCKS = 10;

/** Runs `fn` and returns elapsed milliseconds. */
async function timed(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** A plain loop over `n` objects shaped like orders: the cost of touching that many objects at all. */
function baselineLoop(n, rounds = 1) {
  let checksum = 0;
  const start = performance.now();
  for (let r = 0; r < rounds; r++) {
    const orders = [];
    for (let i = 0; i < n; i++) orders.push({ orderId: String(i), action: i % 2 ? 'SELL' : 'BUY', quantity: 100, limitPrice: 100 + (i % 50) / 100 });
    for (const o of orders) if (o.limitPrice >= 100.25) checksum += o.quantity;
  }
  const ms = performance.now() - start;
  return { ms: Math.max(ms, 0.001), checksum };
}

async function withBroker(fn) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibkr-sim-bench-'));
  const clock = new ManualClock('2026-01-05T15:00:00.000Z');
  // A 1 ms book half-life and 10 ms between marketable orders: each order finds the book refilled, so all of them fill
  // (the simulator's impact persists for its half-life; 2000 orders at one instant would empty the book).
  const broker = createSimBroker({ dataDir, seed: 42, session: 'always-open', startingCash: 1e12, clock, depthHalfLifeMs: 1 });
  await broker.connect();
  try {
    const [aapl] = await broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
    return await fn({ broker, clock, aapl });
  } finally {
    await broker.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function place(broker, contract, input) {
  const [orderId] = await broker.allocateOrderIds(1);
  return broker.placeOrder({ ids: { orderId }, contract, spec: OrderSpec.parse(input), accountId: ACCOUNT, orderRef: `bench-${orderId}` });
}

export async function benchSimMatching() {
  const results = [];

  // 1. Marketable orders end to end, timed in blocks alternating with the baseline so machine load affects both alike.
  const placed = await withBroker(async ({ broker, clock, aapl }) => {
    let filled = 0;
    let ms = 0;
    let baseMs = 0;
    const block = PLACE_ORDERS / BLOCKS;
    for (let b = 0; b < BLOCKS; b++) {
      ms += await timed(async () => {
        for (let i = 0; i < block; i++) {
          clock.advance(10);
          const ack = await place(broker, aapl, { symbol: 'AAPL', action: i % 2 ? 'SELL' : 'BUY', quantity: 100, orderType: 'MKT' });
          if (ack.status === 'FILLED') filled++;
        }
      });
      baseMs += baselineLoop(block).ms;
    }
    return { ms, baseMs, filled };
  });
  const perSec = (PLACE_ORDERS / placed.ms) * 1000;
  const basePerSec = (PLACE_ORDERS / placed.baseMs) * 1000;
  results.push({
    name: 'sim.matching.ordersPerSecond',
    value: Math.round(perSec),
    unit: 'orders/s',
    note: `${PLACE_ORDERS} MKT orders through placeOrder (${placed.filled} filled; validation, margin check, matching, ledger, SQLite write-through); baseline plain loop over the same number of order objects ${Math.round(basePerSec)} objects/s, ratio ${(perSec / basePerSec).toExponential(2)}`,
  });

  // 2. Resting orders re-evaluated by the tick loop.
  const ticking = await withBroker(async ({ broker, clock, aapl }) => {
    const quote = await broker.getQuote(aapl);
    for (let i = 0; i < RESTING_ORDERS; i++) {
      // Far from the market so they stay working: every tick re-checks all of them.
      const away = Number(((quote.bid ?? 200) * 0.5 + (i % 100) * 0.01).toFixed(2));
      await place(broker, aapl, { symbol: 'AAPL', action: 'BUY', quantity: 100, orderType: 'LMT', limitPrice: away, timeInForce: 'GTC' });
    }
    const working = (await broker.getOpenOrders()).length;
    let ms = 0;
    let baseMs = 0;
    for (let t = 0; t < TICKS; t++) {
      ms += await timed(async () => clock.advance(1000));
      baseMs += baselineLoop(RESTING_ORDERS).ms;
    }
    return { ms, baseMs, working };
  });
  const evaluatedPerSec = ((ticking.working * TICKS) / ticking.ms) * 1000;
  const msPerTick = ticking.ms / TICKS;
  const baseMsPerTick = ticking.baseMs / TICKS;
  results.push({
    name: 'sim.matching.restingOrdersPerTick',
    value: Math.round(evaluatedPerSec),
    unit: 'orders evaluated/s',
    note: `${ticking.working} resting LMT orders re-evaluated on each of ${TICKS} one-second ticks: ${msPerTick.toFixed(2)} ms per tick, so a 1000 ms tick can carry about ${Math.round(evaluatedPerSec)} resting orders; baseline plain loop over ${RESTING_ORDERS} objects ${baseMsPerTick.toFixed(3)} ms per tick, ratio ${(baseMsPerTick / msPerTick).toExponential(2)}`,
  });
  results.push({
    name: 'sim.matching.tickLatency',
    value: Number(msPerTick.toFixed(3)),
    unit: 'ms/tick',
    note: `one tick with ${ticking.working} resting orders; baseline ${baseMsPerTick.toFixed(3)} ms, ratio ${(msPerTick / baseMsPerTick).toFixed(1)}x`,
  });
  return results;
}
