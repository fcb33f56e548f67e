// What the gateway adds on top of the TWS API (run by bench/run.js after `npm run build`).
//
// One TWS emulator over the simulated broker, in a process of its own (as IB
// Gateway is: its work must not share the gateway's event loop and be counted
// as the gateway's), serves two clients in the same run: a bare @stoqey/ib IBApi (the baseline: what a hand-written program
// pays) and the gateway's createClient() with BROKER=tws (contract cache,
// validation, risk, gates, audit row before transmit, idempotency). The
// figures are the gateway's median latency, the direct median, and the
// difference: the latency the gateway adds to a quote and to an order.
//
// What "ack" means on each side, so the two are the same event as a user sees it:
// the gateway's is its placeOrder call until it resolves with the acknowledged
// order (that is: validation, risk, the durable audit row, transmit, the first
// word from TWS about the order, and recording that word); the direct client's
// is its placeOrder call until the first word from TWS about that order id
// (openOrder, orderStatus or an error), the same event the gateway's ack waits for.
//
// Orders are measured twice. Paced: each order is placed on a quiet system, the
// two clients alternating who goes first, ORDER_SPACING_MS / 3 apart, so neither
// pays for the other's order (its fill, commission and account updates, which
// TWS sends right after an acknowledgement) and neither is ever held by a
// message-rate limiter (IBKR allows 50 messages/s per client): this is the
// acknowledgement latency. In the same loop, a durable SQLite commit after the
// same idle gap is timed: the floor under the gateway's ack, whose audit row is
// on disk (fsync'd) before the order is sent. Back-to-back: as fast as each call
// returns, against the gateway's 45/s pacer. Once warm, the gateway sends only
// the order itself, like the direct client (quotes come from a warm stream,
// working orders from a listing renewed in the background at most twice a
// second; README "Connecting to IB Gateway or TWS").
//
// BENCH_DIST=/path/to/dist runs the same measurement against another build
// (an A/B in one sitting: `BENCH_DIST=/work/wt/base/dist node bench/tws.js`).
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { EventName, IBApi, OrderAction, OrderType, SecType } from '@stoqey/ib';

const dist = process.env.BENCH_DIST ? `file://${path.resolve(process.env.BENCH_DIST)}/` : new URL('../dist/', import.meta.url).href;
const { createSimBroker } = await import(`${dist}brokers/sim/index.js`);
const { createBroker, createClient } = await import(`${dist}gateway.js`);
const { parseConfig } = await import(`${dist}core/config.js`);
const { createLogger } = await import(`${dist}core/logging.js`);
const { startTwsEmulator } = await import(`${dist}tws-emulator/index.js`);

const QUOTES = 200;
const ORDERS = 100;
const ORDER_SPACING_MS = 120;
const tmp = (name) => fs.mkdtempSync(path.join(os.tmpdir(), name));
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const median = (xs) => pct(xs, 0.5);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const AAPL = { conId: 265598, symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };

function connectDirect(port) {
  const ib = new IBApi({ host: '127.0.0.1', port, clientId: 901 });
  return new Promise((resolve, reject) => {
    ib.once(EventName.nextValidId, (id) => resolve({ ib, nextId: id }));
    ib.once(EventName.error, (err, code) => (code === 502 ? reject(err) : undefined));
    ib.connect();
  });
}

async function directQuote(ib, reqId) {
  const t = performance.now();
  await new Promise((resolve) => {
    const done = (id) => {
      if (id !== reqId) return;
      ib.off(EventName.tickSnapshotEnd, done);
      resolve();
    };
    ib.on(EventName.tickSnapshotEnd, done);
    ib.reqMktData(reqId, AAPL, '', true, false);
  });
  return performance.now() - t;
}

/** placeOrder until the first word from TWS about this order: openOrder, orderStatus or an error with its id. */
async function directOrder(ib, orderId) {
  const t = performance.now();
  await new Promise((resolve) => {
    const seen = (id, ...rest) => {
      // error's arguments are (err, code, reqId)
      const about = typeof id === 'number' ? id : rest[1];
      if (about !== orderId) return;
      for (const e of [EventName.openOrder, EventName.orderStatus, EventName.error]) ib.off(e, seen);
      resolve();
    };
    for (const e of [EventName.openOrder, EventName.orderStatus, EventName.error]) ib.on(e, seen);
    ib.placeOrder(orderId, AAPL, { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1, tif: 'DAY', transmit: true });
  });
  return performance.now() - t;
}

/**
 * The floor under the gateway's order ack: its audit row is on disk before the
 * order is sent, one commit in WAL with synchronous=FULL (an fsync). Measured
 * here, in the same run, with the audit log's settings.
 */
function durableCommits() {
  const dir = tmp('bench-tws-fsync-');
  const db = new Database(path.join(dir, 'x.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  return {
    one() {
      const t = performance.now();
      insert.run('x'.repeat(600));
      return performance.now() - t;
    },
    close() {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Back to back: a durable commit right after the last one. */
function durableCommitMs() {
  const commits = durableCommits();
  const times = [];
  for (let i = 0; i < 100; i++) times.push(commits.one());
  commits.close();
  return times;
}

/**
 * Where a gateway order's time goes, per order: before transmit (placeOrder
 * called until the adapter writes it to the socket), the round trip (written
 * until the first word about it is decoded, the span the direct client measures
 * whole) and after the ack (until placeOrder resolves). Hooks the adapter's
 * connection when this build exposes it (conn.send, conn.bind); otherwise no
 * breakdown is reported.
 */
function segmentProbe() {
  let current = null;
  const probe = {
    segments: [],
    begin() {
      current = { start: performance.now(), called: NaN, sent: NaN, heard: NaN, answered: NaN, cpu: process.cpuUsage() };
    },
    end() {
      const c = current;
      current = null;
      if (!c) return;
      // This process's CPU while the gateway's call runs (the direct client is idle then, the emulator is another process).
      const used = process.cpuUsage(c.cpu);
      const cpu = (used.user + used.system) / 1000;
      if (Number.isFinite(c.sent) && Number.isFinite(c.heard)) {
        const end = performance.now();
        // The adapter's share (broker.placeOrder called until written; first word until it answers) apart from the core's.
        const split = Number.isFinite(c.called) && Number.isFinite(c.answered)
          ? { coreBefore: c.called - c.start, adapterBefore: c.sent - c.called, adapterBeforeCpu: c.calledToSentCpu, preempted: c.preempted, calledToHeard: c.heard - c.called, adapterAfter: c.answered - c.heard, coreAfter: end - c.answered }
          : {};
        probe.segments.push({ before: c.sent - c.start, wire: c.heard - c.sent, after: end - c.heard, cpu, ...split });
      }
    },
    wrap(broker) {
      const conn = broker.conn;
      if (!conn || typeof conn.send !== 'function' || typeof conn.bind !== 'function') return broker;
      const place = broker.placeOrder;
      broker.placeOrder = function (...args) {
        if (current) {
          current.called = performance.now();
          current.calledCpu = process.cpuUsage();
          current.calledSwitches = process.resourceUsage().involuntaryContextSwitches;
        }
        const out = place.apply(this, args);
        out.then(() => current && (current.answered = performance.now()), () => undefined);
        return out;
      };
      const send = conn.send;
      conn.send = function (what, fn) {
        return send.call(this, what, (ib) => {
          fn(ib);
          if (what === 'placeOrder' && current) {
            current.sent = performance.now();
            // The write wakes TWS (here the emulator's process), which may take this CPU at once: wall time
            // until written then holds TWS's work on the order, not the adapter's. CPU and switches tell them apart.
            if (current.calledCpu) {
              const used = process.cpuUsage(current.calledCpu);
              current.calledToSentCpu = (used.user + used.system) / 1000;
              current.preempted = process.resourceUsage().involuntaryContextSwitches > current.calledSwitches;
            }
          }
        });
      };
      // Timed as the first word is decoded, before the adapter's own handlers run.
      conn.bind((ib) => {
        const emit = ib.emit;
        ib.emit = function (event, ...args) {
          if ((event === EventName.openOrder || event === EventName.orderStatus) && current && Number.isFinite(current.sent) && !Number.isFinite(current.heard)) current.heard = performance.now();
          return emit.call(this, event, ...args);
        };
      });
      return broker;
    },
  };
  return probe;
}

/**
 * What recording one execution costs the adapter against how many it keeps
 * (tws-orders.db holds every fill it ever reported, and each new one reads its
 * order's fills back for the running totals): CPU per fill with `held` fills
 * already kept. Flat is the aim; a full scan grows with the history.
 */
async function fillCostWith(held) {
  const { OrderStore } = await import(`${dist}brokers/tws/order-store.js`);
  const dir = tmp('bench-tws-fills-');
  const fill = (i) => ({ execId: `e${i}`, orderId: String(i), time: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(), side: 'BUY', quantity: 1, price: 100, exchange: 'NASDAQ', commission: 1, commissionCurrency: 'USD', realizedPnl: null });
  let store = new OrderStore(dir);
  store.transaction(() => {
    for (let i = 0; i < held; i++) store.addFill(fill(i), 'DU1');
  });
  store.close();
  store = new OrderStore(dir);
  const n = 300;
  const cpu = process.cpuUsage();
  for (let i = held; i < held + n; i++) {
    // As Executions does for each execution: keep it if new (the store checks), read its order's fills back.
    store.addFill(fill(i), 'DU1');
    store.fillsOf(String(i));
    // Committed before the next, as a moment between executions does (builds before write-behind commit in addFill).
    store.flush?.();
  }
  const used = process.cpuUsage(cpu);
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return (used.user + used.system) / n / 1000;
}

/**
 * Opening the order book on a tws-orders.db that keeps `kept` finished orders and 10 working ones, as the adapter
 * does at every start: wall ms (median of 3) and the heap it holds after a full GC when the process has one.
 */
async function bookStartWith(kept) {
  const { OrderStore } = await import(`${dist}brokers/tws/order-store.js`);
  const { OrderBook } = await import(`${dist}brokers/tws/order-book.js`);
  const dir = tmp('bench-tws-book-');
  const spec = { symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: 100, timeInForce: 'DAY', outsideRth: false };
  const state = (i, status) => ({ orderId: String(i), parentOrderId: null, role: 'ENTRY', accountId: 'DU1', orderRef: `r${i}`, conId: 265598, spec, status, filledQuantity: status === 'FILLED' ? 1 : 0, remainingQuantity: status === 'FILLED' ? 0 : 1, avgFillPrice: status === 'FILLED' ? 100 : null, commission: null, message: null, updatedAt: '2026-12-01T15:00:00.000Z' });
  const first = new OrderStore(dir);
  first.transaction(() => {
    for (let i = 1; i <= kept + 10; i++) first.saveOrder(state(i, i > kept ? 'SUBMITTED' : 'FILLED'), 1_000_000 + i);
  });
  first.close();
  // Opened once before timing: a file from an older build gains its indexes at its first open, once.
  new OrderStore(dir).close();
  const ctx = { nowIso: () => '', emit: () => undefined };
  const times = [];
  let heap = NaN;
  for (let k = 0; k < 3; k++) {
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    const t = performance.now();
    const store = new OrderStore(dir);
    const book = new OrderBook(ctx, store);
    times.push(performance.now() - t);
    globalThis.gc?.();
    // The first opening only: a later one's baseline can still hold the book before it (collected during the next).
    if (k === 0 && globalThis.gc) heap = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
    if (book.entries().length < 10) throw new Error('order book bench: the working orders were not loaded');
    store.close();
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return { ms: median(times), heap };
}

/** The child: the simulated broker and the emulator over it; reports its port, closes on 'close'. */
async function serveEmulator() {
  const sim = createSimBroker({ dataDir: tmp('bench-tws-sim-'), seed: 42, session: 'always-open', startingCash: 100_000_000 });
  await sim.connect();
  const emulator = await startTwsEmulator({ broker: sim, port: 0 });
  process.on('message', async (msg) => {
    if (msg !== 'close') return;
    await emulator.close();
    await sim.close();
    process.exit(0);
  });
  process.send?.({ port: emulator.port });
}

export function startEmulatorProcess() {
  const child = fork(fileURLToPath(import.meta.url), ['--emulator'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (msg) => resolve({
      port: msg.port,
      close: () => new Promise((done) => {
        child.once('exit', done);
        child.send('close');
      }),
    }));
  });
}

export async function benchTwsOverhead() {
  const emulator = await startEmulatorProcess();
  const { ib, nextId } = await connectDirect(emulator.port);
  const probe = segmentProbe();
  const client = await createClient({
    config: parseConfig({
      BROKER: 'tws', IBKR_PORT: String(emulator.port), IBKR_CLIENT_ID: '902', DATA_DIR: tmp('bench-tws-gw-'), ORDERS_ENABLED: 'true',
      DUPLICATE_ORDER_WINDOW_SECONDS: '0', MAX_ORDERS_PER_MINUTE: '1000000', MAX_ORDERS_PER_DAY: '100000000',
    }),
    logger: createLogger({ level: 'silent' }),
    broker: async (config, clock, logger) => probe.wrap(await createBroker(config, clock, logger)),
  });
  const commits = durableCommits();
  try {
    await client.getQuote({ symbol: 'AAPL' }); // warm the contract cache, as any long-running client has
    const gwQuote = [];
    const ibQuote = [];
    for (let i = 0; i < QUOTES; i++) {
      ibQuote.push(await directQuote(ib, 10_000 + i));
      const t = performance.now();
      await client.getQuote({ symbol: 'AAPL' });
      gwQuote.push(performance.now() - t);
    }
    let id = nextId + 100_000; // far from the gateway's ids: two clients, one id space per client
    const gatewayOrder = async () => {
      probe.begin();
      const t = performance.now();
      await client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' });
      const ms = performance.now() - t;
      probe.end();
      return ms;
    };
    // Paced: each order alone on a quiet system, the clients alternating who goes first, and a durable
    // commit after the same idle gap (the floor under the gateway's ack) in the same loop.
    const paced = async () => {
      const gw = [];
      const direct = [];
      const fsyncs = [];
      const gap = ORDER_SPACING_MS / 3;
      for (let i = 0; i < ORDERS; i++) {
        const pair = i % 2 === 0 ? ['direct', 'gw'] : ['gw', 'direct'];
        for (const who of pair) {
          if (who === 'direct') direct.push(await directOrder(ib, id++));
          else gw.push(await gatewayOrder());
          await sleep(gap);
        }
        fsyncs.push(commits.one());
        await sleep(gap);
      }
      return { gw, direct, fsyncs };
    };
    const backToBack = async () => {
      const gw = [];
      const direct = [];
      for (let i = 0; i < ORDERS; i++) {
        direct.push(await directOrder(ib, id++));
        gw.push(await gatewayOrder());
      }
      return { gw, direct };
    };
    await sleep(1000); // the quote loop's messages leave the rate window before orders are timed
    const pacedRun = await paced();
    const pacedSegments = probe.segments.splice(0);
    if (process.env.TWS_SEGMENTS) fs.writeFileSync(process.env.TWS_SEGMENTS, JSON.stringify(pacedSegments));
    await sleep(1000);
    const burst = await backToBack();
    const row = (name, gw, direct) => [
      { name: `tws: ${name} via gateway, median`, value: median(gw), unit: 'ms', note: `${gw.length} sequential calls; p90 ${pct(gw, 0.9).toFixed(3)} ms` },
      { name: `tws: ${name} direct @stoqey/ib, median`, value: median(direct), unit: 'ms', note: `baseline: same emulator, same run; p90 ${pct(direct, 0.9).toFixed(3)} ms` },
      { name: `tws: ${name} latency the gateway adds`, value: median(gw) - median(direct), unit: 'ms', note: `ratio ${(median(gw) / median(direct)).toFixed(2)}x the direct call${name === 'order ack' ? '; target <= 0.5 ms' : ''}` },
    ];
    const commit = durableCommitMs();
    const fillFew = await fillCostWith(1_000);
    const fillMany = await fillCostWith(50_000);
    const bookFew = await bookStartWith(1_000);
    const bookMany = await bookStartWith(100_000);
    const seg = (k) => median(pacedSegments.map((x) => x[k]));
    const breakdown = pacedSegments.length === 0 ? [] : [
      {
        name: 'tws: order ack via gateway, paced: before transmit',
        value: seg('before'),
        unit: 'ms',
        note: `median per order; round trip (written to first word decoded) ${seg('wire').toFixed(3)} ms vs direct ${median(pacedRun.direct).toFixed(3)} ms whole; after the ack ${seg('after').toFixed(3)} ms`,
      },
      ...(Number.isFinite(seg('adapterBefore')) ? [{
        name: 'tws: order ack via gateway, paced: the tws adapter\'s share',
        value: seg('adapterBefore') + seg('adapterAfter'),
        unit: 'ms',
        note: `median per order: broker.placeOrder called until written ${seg('adapterBefore').toFixed(3)} ms + first word until it answers ${seg('adapterAfter').toFixed(3)} ms; the core's: before ${seg('coreBefore').toFixed(3)} ms, after ${seg('coreAfter').toFixed(3)} ms`,
      }] : []),
      ...(Number.isFinite(seg('adapterBeforeCpu')) ? [{
        name: 'tws: order ack via gateway, paced: broker.placeOrder called until written, CPU',
        value: seg('adapterBeforeCpu'),
        unit: 'ms',
        note: `median process CPU (the legs' commit, @stoqey/ib's encoding, the socket write); the write was preempted (TWS woken on this CPU) in ${pacedSegments.filter((x) => x.preempted).length} of ${pacedSegments.length} orders; broker.placeOrder called until the first word ${seg('calledToHeard').toFixed(3)} ms vs the direct client's whole call ${median(pacedRun.direct).toFixed(3)} ms`,
      }] : []),
      { name: 'tws: order ack via gateway, paced: CPU per order', value: seg('cpu'), unit: 'ms', note: 'median process CPU (user+system) while one placeOrder runs; steadier than wall time on a shared machine' },
    ];
    return [
      ...row('quote', gwQuote, ibQuote),
      ...row('order ack', pacedRun.gw, pacedRun.direct),
      ...breakdown,
      ...row('order ack back-to-back', burst.gw, burst.direct),
      { name: 'tws: recording an execution with 50,000 kept', value: fillMany, unit: 'ms', note: `CPU per fill (tws-orders.db: is it new, keep it, its order's fills); with 1,000 kept ${fillFew.toFixed(3)} ms: ratio ${(fillMany / fillFew).toFixed(2)}, flat is 1` },
      {
        name: 'tws: order book at start with 100,000 finished orders kept',
        value: bookMany.ms,
        unit: 'ms',
        baseline: `1,000 kept ${bookFew.ms.toFixed(1)} ms`,
        note: `wall time to open tws-orders.db and load the order book (10 working orders among them), median of 3; ratio ${(bookMany.ms / bookFew.ms).toFixed(1)}${Number.isNaN(bookMany.heap) ? '' : `; heap held ${bookMany.heap.toFixed(1)} MB (1,000 kept: ${bookFew.heap.toFixed(1)} MB)`}`,
      },
      { name: 'tws: one durable SQLite commit after an idle gap, median', value: median(pacedRun.fsyncs), unit: 'ms', note: `${ORDER_SPACING_MS / 3} ms after the last work, as the audit row before a paced order; p90 ${pct(pacedRun.fsyncs, 0.9).toFixed(3)} ms, min ${pct(pacedRun.fsyncs, 0).toFixed(3)} ms` },
      { name: 'tws: one durable SQLite commit on this disk, median', value: median(commit), unit: 'ms', note: `back to back, WAL + synchronous=FULL, as the audit row written before each order is sent; p90 ${pct(commit, 0.9).toFixed(3)} ms` },
    ];
  } finally {
    commits.close();
    ib.disconnect();
    await client.close();
    await emulator.close();
  }
}

if (process.argv.includes('--emulator')) await serveEmulator();
else if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchTwsOverhead());
