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
// Orders are measured twice. Paced: one order per client every ORDER_SPACING_MS,
// so neither client is ever held by a message-rate limiter (IBKR allows 50
// messages/s per client): this is the acknowledgement latency. Back-to-back: as
// fast as each call returns, against the gateway's 45/s pacer. Once warm, the
// gateway sends only the order itself, like the direct client (quotes come from
// a warm stream, working orders from a listing renewed in the background at most
// twice a second; README "Connecting to IB Gateway or TWS").
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { EventName, IBApi, OrderAction, OrderType, SecType } from '@stoqey/ib';
import { createSimBroker } from '../dist/brokers/sim/index.js';
import { createClient } from '../dist/gateway.js';
import { parseConfig } from '../dist/core/config.js';
import { createLogger } from '../dist/core/logging.js';
import { startTwsEmulator } from '../dist/tws-emulator/index.js';

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

async function directOrder(ib, orderId) {
  const t = performance.now();
  await new Promise((resolve) => {
    const seen = (id) => {
      if (id !== orderId) return;
      ib.off(EventName.orderStatus, seen);
      resolve();
    };
    ib.on(EventName.orderStatus, seen);
    ib.placeOrder(orderId, AAPL, { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1, tif: 'DAY', transmit: true });
  });
  return performance.now() - t;
}

/**
 * The floor under the gateway's order ack: its audit row is on disk before the
 * order is sent, one commit in WAL with synchronous=FULL (an fsync). Measured
 * here, in the same run, with the audit log's settings.
 */
function durableCommitMs() {
  const dir = tmp('bench-tws-fsync-');
  const db = new Database(path.join(dir, 'x.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const times = [];
  for (let i = 0; i < 100; i++) {
    const t = performance.now();
    insert.run('x'.repeat(600));
    times.push(performance.now() - t);
  }
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return times;
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

function startEmulatorProcess() {
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
  const client = await createClient({
    config: parseConfig({
      BROKER: 'tws', IBKR_PORT: String(emulator.port), IBKR_CLIENT_ID: '902', DATA_DIR: tmp('bench-tws-gw-'), ORDERS_ENABLED: 'true',
      DUPLICATE_ORDER_WINDOW_SECONDS: '0', MAX_ORDERS_PER_MINUTE: '1000000', MAX_ORDERS_PER_DAY: '100000000',
    }),
    logger: createLogger({ level: 'silent' }),
  });
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
    const orders = async (spacingMs) => {
      const gw = [];
      const direct = [];
      for (let i = 0; i < ORDERS; i++) {
        const start = performance.now();
        direct.push(await directOrder(ib, id++));
        const t = performance.now();
        await client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' });
        gw.push(performance.now() - t);
        if (spacingMs > 0) await sleep(Math.max(0, spacingMs - (performance.now() - start)));
      }
      return { gw, direct };
    };
    await sleep(1000); // the quote loop's messages leave the rate window before orders are timed
    const paced = await orders(ORDER_SPACING_MS);
    await sleep(1000);
    const burst = await orders(0);
    const row = (name, gw, direct) => [
      { name: `tws: ${name} via gateway, median`, value: median(gw), unit: 'ms', note: `${gw.length} sequential calls; p90 ${pct(gw, 0.9).toFixed(3)} ms` },
      { name: `tws: ${name} direct @stoqey/ib, median`, value: median(direct), unit: 'ms', note: `baseline: same emulator, same run; p90 ${pct(direct, 0.9).toFixed(3)} ms` },
      { name: `tws: ${name} latency the gateway adds`, value: median(gw) - median(direct), unit: 'ms', note: `ratio ${(median(gw) / median(direct)).toFixed(2)}x the direct call${name === 'order ack' ? '; target <= 0.5 ms' : ''}` },
    ];
    const commit = durableCommitMs();
    return [
      ...row('quote', gwQuote, ibQuote),
      ...row('order ack', paced.gw, paced.direct),
      ...row('order ack back-to-back', burst.gw, burst.direct),
      { name: 'tws: one durable SQLite commit on this disk, median', value: median(commit), unit: 'ms', note: `WAL + synchronous=FULL, as the audit row written before each order is sent; p90 ${pct(commit, 0.9).toFixed(3)} ms` },
    ];
  } finally {
    ib.disconnect();
    await client.close();
    await emulator.close();
  }
}

if (process.argv.includes('--emulator')) await serveEmulator();
else if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchTwsOverhead());
