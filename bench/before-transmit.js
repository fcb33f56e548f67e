// CPU and time from an order request's arrival to broker.placeOrder, A/B between builds in ONE gateway process
// (issue 18, lane "before"). On this shared 2-core machine a wall-clock or profile-window figure of one build moves
// by 10-30% with the other sessions' load; here both builds' gateways (REST, sim, durable audit.db) live in one
// process and take orders in alternating slices (ABBA), so each slice of A sits beside a slice of B under the same load.
//
//   node bench/before-transmit.js ROOT_A ROOT_B      (each a checkout with dist/ built, e.g. /work/wt/base .)
//
// Orders go at RATE/s (default 50, IBKR's message ceiling), one in flight at a time (a late order is sent as soon
// as the previous one answered), so the process CPU between an order's arrival (the HTTP 'request' event) and its
// placeOrder call is that order's own: the figure printed as "CPU before transmit". "whole CPU/order" is each
// slice's process CPU divided by its orders (after-transmit work and background timers included).
// The window is also split at three calls (p50 of each step's process CPU, and of its wall time): the arrival to the
// idempotency look-up (HTTP, routing, auth, body parse and validation, the request hash), the look-up to the
// assessment's first broker read (the look-up's store read, the instrument, the risk key), that read to the
// pre-transmit write (the broker reads, the history facts, the risk checks, the gates, the rows), and the write to
// placeOrder (the audit batch's CPU, the WAL sync on the thread pool and the hops around it). With one order in
// flight, the calls belong to the order that arrived last.
// Environment: SLICE (orders per slice, 40), SLICES (per build, 12), RATE, GW_ARGS (node flags for the gateway process).
/* global fetch */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const KEY = 'benchkey123456';
const ORDER = { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' };
const cpuNow = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** The gateway process: one gateway per root, stamps per order id (x-bench-id header = clientOrderId). */
async function serve(roots) {
  const stamps = new Map();
  const stamp = (id) => {
    let s = stamps.get(id);
    if (!s) stamps.set(id, (s = {}));
    return s;
  };
  // One order in flight: the step calls below belong to the order that arrived last.
  let current = null;
  const step = (name) => {
    if (current === null) return;
    const s = stamp(current);
    if (s[name] === undefined) s[name] = [performance.now() * 1000, cpuNow()];
  };
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (event, req, ...rest) {
    const id = event === 'request' ? req.headers['x-bench-id'] : undefined;
    if (typeof id === 'string') {
      current = id;
      Object.assign(stamp(id), { arrivedUs: performance.now() * 1000, arrivedCpu: cpuNow() });
    }
    return emit.call(this, event, req, ...rest);
  };
  const gateways = [];
  for (const root of roots) {
    const { LIFTED_LIMITS } = await import(join(root, 'bench/lifted-limits.js'));
    const { createClient, createBroker } = await import(join(root, 'dist/gateway.js'));
    const { startApiServer } = await import(join(root, 'dist/api/index.js'));
    // The store's look-up and pre-transmit write, stamped on its prototype (the client opens its own instance).
    const { openAuditStore } = await import(join(root, 'dist/core/audit/sqlite/store.js'));
    const probeDir = mkdtempSync(join(tmpdir(), 'ibkr-bench-before-probe-'));
    const probe = openAuditStore({ dataDir: probeDir, hmacKey: null });
    const proto = Object.getPrototypeOf(probe);
    for (const [method, name] of [
      ['peekIdempotent', 'peek'],
      ['recordNewOrders', 'record'],
    ]) {
      const original = proto[method];
      proto[method] = function (...args) {
        step(name);
        return original.apply(this, args);
      };
    }
    await probe.close();
    rmSync(probeDir, { recursive: true, force: true });
    const dataDir = mkdtempSync(join(tmpdir(), 'ibkr-bench-before-'));
    const client = await createClient({
      env: { DATA_DIR: dataDir, SIM_SESSION: 'always-open', ORDERS_ENABLED: 'true', API_KEYS: `${KEY}:read+trade+admin`, LOG_LEVEL: 'silent', API_RATE_LIMIT_PER_MINUTE: '10000000', ...LIFTED_LIMITS },
      broker: async (config, clock, logger) => {
        const broker = await createBroker(config, clock, logger);
        const place = broker.placeOrder.bind(broker);
        // The assessment asks for the quote first of its broker reads (core/orders/assess.ts).
        const getQuote = broker.getQuote.bind(broker);
        broker.getQuote = (...args) => {
          step('reads');
          return getQuote(...args);
        };
        broker.placeOrder = (request) => {
          const id = request.spec.clientOrderId;
          if (id !== undefined) Object.assign(stamp(id), { sentUs: performance.now() * 1000, sentCpu: cpuNow() });
          return place(request);
        };
        return broker;
      },
    });
    gateways.push({ client, dataDir, api: await startApiServer({ client, host: '127.0.0.1', port: 0 }) });
  }
  process.on('message', (msg) => {
    if (msg === 'cpu') process.send({ cpu: cpuNow() });
    if (msg === 'stamps') process.send({ stamps: [...stamps].filter(([, s]) => s.sentUs !== undefined && s.arrivedUs !== undefined) });
  });
  process.on('SIGTERM', () => {
    void (async () => {
      for (const g of gateways) {
        await g.api.close();
        await g.client.close();
        rmSync(g.dataDir, { recursive: true, force: true });
      }
      process.exit(0);
    })();
  });
  process.send({ urls: gateways.map((g) => g.api.url) });
}

/** The window's steps: [from stamp, to stamp, name]. */
const STEPS = [
  ['arrived', 'peek', 'arrival->look-up'],
  ['peek', 'reads', 'look-up->broker reads'],
  ['reads', 'record', 'reads->pre-transmit write'],
  ['record', 'sent', 'write->placeOrder'],
];

async function run(roots) {
  const SLICE = Number(process.env.SLICE ?? 40);
  const SLICES = Number(process.env.SLICES ?? 12);
  const RATE = Number(process.env.RATE ?? 50);
  const gwArgs = (process.env.GW_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...gwArgs, fileURLToPath(import.meta.url), '--serve', ...roots], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = (msg) =>
    new Promise((ok) => {
      child.once('message', ok);
      child.send(msg);
    });
  const { urls } = await new Promise((ok) => child.once('message', ok));
  const t0 = performance.now();
  let sent = 0;
  const slice = async (b, tag, count) => {
    for (let i = 0; i < count; i++) {
      const wait = t0 + (sent++ * 1000) / RATE - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const id = `${tag}-${b}-${i}`;
      const res = await fetch(`${urls[b]}/api/orders/place`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json', 'x-bench-id': id }, body: JSON.stringify({ ...ORDER, clientOrderId: id }) });
      if (res.status !== 200) throw new Error(`order ${id}: HTTP ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  try {
    for (let w = 0; w < 2; w++) for (let b = 0; b < roots.length; b++) await slice(b, `warm${w}`, 50);
    const whole = roots.map(() => []);
    for (let s = 0; s < SLICES; s++) {
      for (let k = 0; k < roots.length; k++) {
        const b = s % 2 === 0 ? k : roots.length - 1 - k; // ABBA: neither build always goes first
        const before = (await ask('cpu')).cpu;
        await slice(b, `s${s}`, SLICE);
        await new Promise((r) => setTimeout(r, 40)); // the last order's after-transmit work
        whole[b].push(((await ask('cpu')).cpu - before) / SLICE / 1000);
      }
    }
    const { stamps } = await ask('stamps');
    const rows = roots.map((root, b) => {
      const mine = stamps.filter(([id]) => /^s\d+-/.test(id) && id.split('-')[1] === String(b)).map(([, s]) => s);
      const wall = mine.map((s) => (s.sentUs - s.arrivedUs) / 1000);
      const cpu = mine.map((s) => (s.sentCpu - s.arrivedCpu) / 1000);
      const steps = STEPS.map(([from, to]) => {
        const at = (s, k) => (k === 'arrived' ? [s.arrivedUs, s.arrivedCpu] : k === 'sent' ? [s.sentUs, s.sentCpu] : s[k]);
        const both = mine.map((s) => [at(s, from), at(s, to)]).filter(([a, z]) => a !== undefined && z !== undefined);
        return { cpu: both.map(([a, z]) => (z[1] - a[1]) / 1000), wall: both.map(([a, z]) => (z[0] - a[0]) / 1000) };
      });
      return { root, n: mine.length, wall, cpu, whole: whole[b], steps };
    });
    for (const r of rows) {
      const mean = r.cpu.reduce((a, x) => a + x, 0) / r.cpu.length;
      console.log(
        `${r.root}: n=${r.n} request->transmit p50 ${pct(r.wall, 50).toFixed(2)} p90 ${pct(r.wall, 90).toFixed(2)} p99 ${pct(r.wall, 99).toFixed(2)} ms; ` +
          `CPU before transmit p50 ${pct(r.cpu, 50).toFixed(3)} mean ${mean.toFixed(3)} ms; whole CPU/order (median of slices) ${pct(r.whole, 50).toFixed(3)} ms`,
      );
    }
    for (const r of rows) {
      console.log(`${r.root}: steps, CPU p50 (wall p50) ms: ` + STEPS.map(([, , name], i) => `${name} ${pct(r.steps[i].cpu, 50).toFixed(3)} (${pct(r.steps[i].wall, 50).toFixed(3)})`).join(', '));
    }
    if (rows.length === 2) {
      const [a, b] = rows;
      console.log(`B/A steps, CPU p50: ` + STEPS.map(([, , name], i) => `${name} ${(pct(b.steps[i].cpu, 50) / pct(a.steps[i].cpu, 50)).toFixed(3)}`).join(', '));
      console.log(`B/A: CPU before transmit p50 ${(pct(b.cpu, 50) / pct(a.cpu, 50)).toFixed(3)}, whole CPU/order ${(pct(b.whole, 50) / pct(a.whole, 50)).toFixed(3)}, request->transmit p50 ${(pct(b.wall, 50) / pct(a.wall, 50)).toFixed(3)} p99 ${(pct(b.wall, 99) / pct(a.wall, 99)).toFixed(3)}`);
    }
  } finally {
    child.kill('SIGTERM');
  }
}

if (process.argv[2] === '--serve') await serve(process.argv.slice(3));
else await run(process.argv.slice(2).length > 0 ? process.argv.slice(2).map((r) => resolve(r)) : [resolve(fileURLToPath(new URL('..', import.meta.url)))]);
