// Crash-test child: runs the simulated broker (always-open session, a manual
// clock moved 20 s per step) and places a stream of bracket orders, OCA groups
// and cancels while time moves, so fills arm exits, exits cancel each other
// and OCA members cancel the rest. The parent SIGKILLs it at random points and
// checks sim.db after every kill.
// argv: <transpiled src root> <dataDir> <start ms> <stream seed>
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [root, dataDir, startArg, seedArg] = process.argv.slice(2);
const load = (rel) => import(pathToFileURL(join(root, rel)).href);
const { createSimBroker } = await load('brokers/sim/index.js');
const { ManualClock } = await load('core/clock.js');
const { OrderSpec } = await load('core/models.js');
const say = (line) => writeSync(1, `${line}\n`);

/** mulberry32: the stream differs per round but replays from its seed. */
let state = Number(seedArg) >>> 0;
const rnd = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const clock = new ManualClock(Number(startArg));
const broker = createSimBroker({ dataDir, seed: 7, session: 'always-open', startingCash: 10_000_000, clock });
await broker.connect();
const [aapl] = await broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
const account = broker.accounts()[0];
say('ready');

const cents = (p) => Math.round(p * 100) / 100;

async function place(input) {
  const spec = OrderSpec.parse({ symbol: 'AAPL', quantity: 10, timeInForce: 'GTC', ...input });
  const bracket = spec.takeProfitPrice !== undefined;
  const [orderId, takeProfitOrderId, stopLossOrderId] = await broker.allocateOrderIds(bracket ? 3 : 1);
  const ids = bracket ? { orderId, takeProfitOrderId, stopLossOrderId } : { orderId };
  return broker.placeOrder({ ids, contract: aapl, spec, accountId: account, orderRef: `crash-${orderId}` });
}

/** Exits 0.1% either side of `ref`: the market reaches one within a few dozen steps. */
const exits = (action, ref) => {
  const sign = action === 'BUY' ? 1 : -1;
  return { takeProfitPrice: cents(ref * (1 + sign * 0.001)), stopLossPrice: cents(ref * (1 - sign * 0.001)) };
};

// Bounded so a child that is never killed still stops by itself.
for (let i = 0; i < 4000; i++) {
  const q = await broker.getQuote(aapl);
  const action = rnd() < 0.5 ? 'BUY' : 'SELL';
  const near = action === 'BUY' ? q.bid : q.ask;
  const away = action === 'BUY' ? -0.02 : 0.02;
  const r = rnd();
  if (r < 0.3) {
    // Fills on arrival: the fill arms both exits.
    await place({ action, orderType: 'MKT', ...exits(action, action === 'BUY' ? q.ask : q.bid) });
  } else if (r < 0.5) {
    // Rests at the touch and fills in the matching loop.
    await place({ action, orderType: 'LMT', limitPrice: near, ...exits(action, near) });
  } else if (r < 0.8) {
    // An OCA group: the first member the market reaches cancels the others (sometimes one fills on arrival).
    const group = `oca-${seedArg}-${i}`;
    const marketable = rnd() < 0.3;
    // Placed in one turn, as the gateway's concurrent orders are: the three share one sim.db transaction
    // (SimStore.folded), and a marketable third cancels the first two inside it.
    await Promise.all(
      [0, 1, 2].map((k) => {
        const limit = marketable && k === 2 ? (action === 'BUY' ? q.ask : q.bid) : cents(near + away * k);
        return place({ action, orderType: 'LMT', limitPrice: limit, ocaGroup: group });
      }),
    );
  } else {
    // Cancels the oldest entry that has not filled (its waiting exits go with it).
    const open = await broker.getOpenOrders();
    const victim = open.find((o) => o.role === 'ENTRY' && o.filledQuantity === 0);
    if (victim && open.length > 12) await broker.cancelOrder(victim.orderId);
  }
  clock.advance(20_000);
  say(`op ${i}`);
}
await broker.close();
say('done');
