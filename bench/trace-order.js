// Where the time before transmit goes on the tws order path (run after `npm run build`):
// `node bench/trace-order.js [orders]`. Every call the order path makes on the
// broker and on the audit store is timed (start and end, relative to the
// client's placeOrder call), over the same emulator bench/tws.js uses, and the
// medians are printed in the order the calls start. Wall time before transmit
// is mostly waiting (round trips to the emulator, fsyncs, event-loop turns),
// which a CPU profile does not show.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSimBroker } from '../dist/brokers/sim/index.js';
import { createBroker, createClient } from '../dist/gateway.js';
import { openAuditStore } from '../dist/core/audit/sqlite/store.js';
import { OrderStore } from '../dist/brokers/tws/order-store.js';
import { parseConfig } from '../dist/core/config.js';
import { createLogger } from '../dist/core/logging.js';
import { startTwsEmulator } from '../dist/tws-emulator/index.js';

const ORDERS = Number(process.argv[2] ?? 60);
const tmp = (name) => fs.mkdtempSync(path.join(os.tmpdir(), name));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let t0 = null;
let gatewayBroker = null;
/** [placeOrder sent, first openOrder heard] per order, on the monotonic clock a --cpu-prof profile uses (TRACE_WINDOWS=file). */
const windows = [];
/** [placeOrder called, placeOrder returned] per measured order, same clock (TRACE_ORDER_WINDOWS=file). */
const wholeWindows = [];
let calls = [];
function timed(label, fn, self) {
  return function (...args) {
    if (t0 === null) return fn.apply(self ?? this, args);
    // The order's own start: a call that settles after placeOrder returned (t0 is null by then) is still timed from it.
    const base = t0;
    const call = { label, start: performance.now() - base, end: NaN };
    calls.push(call);
    const out = fn.apply(self ?? this, args);
    if (out && typeof out.then === 'function') out.then(() => (call.end = performance.now() - base), () => (call.end = performance.now() - base));
    else call.end = performance.now() - base;
    return out;
  };
}

// The store's methods, timed on its prototype (the client opens its own instance).
const probe = openAuditStore({ dataDir: tmp('trace-probe-'), hmacKey: null });
const proto = Object.getPrototypeOf(probe);
for (const name of Object.getOwnPropertyNames(proto)) {
  const d = Object.getOwnPropertyDescriptor(proto, name);
  if (name === 'constructor' || typeof d?.value !== 'function') continue;
  proto[name] = timed(`audit.${name}`, proto[name]);
}
await probe.close();
// Inside the audit store's write transaction: the rows themselves (CPU, no fsync), apart from the commit.
const { AuditLogTable } = await import('../dist/core/audit/sqlite/audit-log.js');
const { OrderHistoryTable } = await import('../dist/core/audit/sqlite/order-history.js');
AuditLogTable.prototype.appendInTransaction = timed('audit.log row', AuditLogTable.prototype.appendInTransaction);
OrderHistoryTable.prototype.appendInTransaction = timed('audit.history row', OrderHistoryTable.prototype.appendInTransaction);
// The tws adapter's own file (ids, order states, fills).
for (const name of ['saveOrder', 'setMeta', 'addFill']) OrderStore.prototype[name] = timed(`tws-orders.${name}`, OrderStore.prototype[name]);

// TRACE_EMULATOR=process: the emulator in a process of its own, as bench/tws.js runs it (its work is then not
// on the gateway's event loop, and the sim's calls are not timed here).
const ownProcess = process.env.TRACE_EMULATOR === 'process';
const sim = ownProcess ? null : createSimBroker({ dataDir: tmp('trace-sim-'), seed: 42, session: 'always-open', startingCash: 100_000_000 });
await sim?.connect();
// The simulated broker behind the emulator, timed like the gateway's own calls.
if (sim) for (const name of ['placeOrder', 'allocateOrderIds', 'getQuote', 'getOpenOrders']) sim[name] = timed(`sim.${name}`, sim[name], sim);
const emulator = sim ? await startTwsEmulator({ broker: sim, port: 0 }) : await (await import('./tws.js')).startEmulatorProcess();
// TRACE_BROKER=sim: the gateway on its embedded simulator instead (the REST order path's broker), orders with a clientOrderId.
const onSim = process.env.TRACE_BROKER === 'sim';
const client = await createClient({
  config: parseConfig({
    ...(onSim ? { BROKER: 'sim', SIM_SESSION: 'always-open', SIM_STARTING_CASH: '100000000' } : { BROKER: 'tws', IBKR_PORT: String(emulator.port), IBKR_CLIENT_ID: '902' }),
    DATA_DIR: tmp('trace-gw-'), ORDERS_ENABLED: 'true',
    DUPLICATE_ORDER_WINDOW_SECONDS: '0', MAX_ORDERS_PER_MINUTE: '1000000', MAX_ORDERS_PER_DAY: '100000000',
  }),
  logger: createLogger({ level: 'silent' }),
  broker: async (config, clock, logger) => {
    const broker = await createBroker(config, clock, logger);
    gatewayBroker = broker;
    if (onSim) {
      for (const name of ['placeOrder', 'allocateOrderIds', 'getQuote', 'getOpenOrders', 'getPositions', 'getAccountSummary', 'getPnl']) broker[name] = timed(`broker.${name}`, broker[name], broker);
      return broker;
    }
    // Every message the adapter sends, through its pacer, by name.
    const send = broker.conn.send;
    broker.conn.send = function (what, fn) {
      return send.call(this, what, (ib) => {
        if (t0 !== null) calls.push({ label: `sent ${what}`, start: performance.now() - t0, end: performance.now() - t0 });
        if (t0 !== null && what === 'placeOrder') windows.push([process.hrtime.bigint()]);
        fn(ib);
      });
    };
    return new Proxy(broker, {
      get(target, prop) {
        const v = Reflect.get(target, prop);
        return typeof v === 'function' && typeof prop === 'string' ? timed(`broker.${prop}`, v, target) : v;
      },
    });
  },
});
await client.getQuote({ symbol: 'AAPL' });
if (process.env.TRACE_EVENTS) {
  // What the adapter hears from the emulator, by event name.
  const ib = gatewayBroker.conn.ib;
  const emit = ib.emit;
  ib.emit = function (event, ...args) {
    if (t0 !== null && event === 'openOrder' && windows.at(-1)?.length === 1) windows.at(-1).push(process.hrtime.bigint());
    if (t0 !== null && event !== 'all' && event !== 'received') calls.push({ label: `heard ${String(event)}`, start: performance.now() - t0, end: performance.now() - t0 });
    return emit.call(this, event, ...args);
  };
}
// TRACE_DIRECT=1: a bare @stoqey/ib client places an order before each of the gateway's, as bench/tws.js does.
let direct = null;
if (process.env.TRACE_DIRECT) {
  const { EventName, IBApi, OrderAction, OrderType, SecType } = await import('@stoqey/ib');
  const ib = new IBApi({ host: '127.0.0.1', port: emulator.port, clientId: 901 });
  let nextId = await new Promise((resolve) => {
    ib.once(EventName.nextValidId, resolve);
    ib.connect();
  });
  nextId += 100_000;
  const AAPL = { conId: 265598, symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };
  direct = {
    ib,
    order: () =>
      new Promise((resolve) => {
        const id = nextId++;
        const seen = (orderId) => {
          if (orderId !== id) return;
          ib.off(EventName.orderStatus, seen);
          resolve();
        };
        ib.on(EventName.orderStatus, seen);
        ib.placeOrder(id, AAPL, { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1, tif: 'DAY', transmit: true });
      }),
  };
}
const runs = [];
const directTimes = [];
// TRACE_GAP_MS: a pause between the direct order and the gateway's, so each is placed on a quiet system.
const gapMs = Number(process.env.TRACE_GAP_MS ?? 0);
for (let i = 0; i < ORDERS + 5; i++) {
  if (direct) {
    const d = performance.now();
    await direct.order();
    if (i >= 5) directTimes.push(performance.now() - d);
    if (gapMs > 0) await sleep(gapMs);
  }
  calls = [];
  const wholeStart = process.hrtime.bigint();
  t0 = performance.now();
  await client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT', ...(onSim ? { clientOrderId: `trace-${i}` } : {}) });
  const total = performance.now() - t0;
  t0 = null;
  if (i >= 5) wholeWindows.push([wholeStart, process.hrtime.bigint()]);
  if (i >= 5) runs.push({ total, calls });
  await sleep(120);
}
// Medians per call label (the n-th call of a label in each run).
const rows = new Map();
for (const run of runs) {
  const seen = new Map();
  for (const c of run.calls) {
    const n = (seen.get(c.label) ?? 0) + 1;
    seen.set(c.label, n);
    const key = n === 1 ? c.label : `${c.label} #${n}`;
    const row = rows.get(key) ?? { starts: [], ends: [] };
    row.starts.push(c.start);
    row.ends.push(c.end);
    rows.set(key, row);
  }
}
const lines = [...rows].map(([label, r]) => ({ label, start: median(r.starts), end: median(r.ends), n: r.starts.length }));
lines.sort((a, b) => a.start - b.start);
for (const l of lines) console.log(`${l.start.toFixed(2).padStart(7)} -> ${l.end.toFixed(2).padStart(7)} ms  ${l.label}${l.n < runs.length ? ` (${l.n}/${runs.length} runs)` : ''}`);
console.log(`median placeOrder total ${median(runs.map((r) => r.total)).toFixed(2)} ms over ${runs.length} orders`);
// Per order (medians of each order's own segments): before transmit, on the wire (sent to the first word heard), after the ack.
const seg = runs.map((r) => {
  const sent = r.calls.find((c) => c.label === 'sent placeOrder')?.start;
  const heard = r.calls.find((c) => c.label === 'heard openOrder' || c.label === 'heard orderStatus')?.start;
  const acked = r.calls.find((c) => c.label === 'broker.placeOrder')?.end;
  return sent === undefined || heard === undefined || acked === undefined ? null : { pre: sent, wire: heard - sent, adapter: acked - heard, post: r.total - acked };
}).filter((x) => x !== null);
if (process.env.TRACE_ACK_DETAIL) {
  // What runs between the first word and the adapter's answer, for a few orders.
  for (const r of runs.slice(0, Number(process.env.TRACE_ACK_DETAIL))) {
    const heard = r.calls.find((c) => c.label === 'heard openOrder' || c.label === 'heard orderStatus')?.start ?? 0;
    const acked = r.calls.find((c) => c.label === 'broker.placeOrder')?.end ?? 0;
    console.log(r.calls.filter((c) => c.start >= heard && c.start <= acked).map((c) => `${(c.start - heard).toFixed(2)}${Number.isFinite(c.end) && c.end !== c.start ? `-${(c.end - heard).toFixed(2)}` : ''} ${c.label}`).join(' | '), `| resolved ${(acked - heard).toFixed(2)}`);
  }
}
const med = (k) => median(seg.map((x) => x[k])).toFixed(2);
if (seg.length > 0) console.log(`per order, median: before transmit ${med('pre')} ms, sent->first word ${med('wire')} ms, first word->adapter's placeOrder resolved ${med('adapter')} ms, ->returned ${med('post')} ms (${seg.length} orders)`);
if (directTimes.length > 0) console.log(`median direct order (placeOrder to orderStatus) ${median(directTimes).toFixed(2)} ms`);
if (process.env.TRACE_ORDER_WINDOWS) fs.writeFileSync(process.env.TRACE_ORDER_WINDOWS, JSON.stringify(wholeWindows.map((w) => w.map((t) => Number(t / 1000n)))));
if (process.env.TRACE_WINDOWS) fs.writeFileSync(process.env.TRACE_WINDOWS, JSON.stringify(windows.filter((w) => w.length === 2).map((w) => w.map((t) => Number(t / 1000n)))));
direct?.ib.disconnect();
await client.close();
await emulator.close();
await sim?.close();
