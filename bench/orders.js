/* global fetch, setImmediate */
// The order path, durable (issue 18): each figure beside a baseline measured
// in the same run on the same disk.
//
// - durable orders/s through REST with 32 clients (autocannon, POST
//   /api/orders/place, ORDERS_ENABLED on the simulator, audit.db at
//   synchronous=FULL), p50/p99, beside a raw durable better-sqlite3 INSERT
//   (one fsync per row, as a store without group commit pays) and the audit
//   store's own group-committed appends with 32 in flight;
// - p99 from request to transmit at a steady 50 orders/s (IBKR's message
//   ceiling): the client stamps each request as it sends it, the gateway
//   stamps the moment the broker's placeOrder is called (both put on the
//   machine's monotonic clock, clock.js), matched by clientOrderId;
// - sim.db commits per order (the budget is one);
// - the floor: a bare Fastify POST route that parses the same body, appends
//   one row to a WAL table at synchronous=FULL through a minimal group
//   committer (every request of one event-loop turn in one transaction) and
//   answers after the commit. It is the least a durable order can cost over
//   HTTP on this machine with this load generator: no risk checks, no hash
//   chain, no broker. The REST row is given as a share of it, and the floor
//   is driven at the same steady 50/s too (arrival to its commit done): the
//   part of the p99 that this machine's scheduling and disk give any durable
//   write, whatever the gateway does.
//
// Needs `npm run build`. Run alone with `node bench/orders.js`, or through
// bench/run.js which calls benchOrders().
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { LIFTED_LIMITS } from './lifted-limits.js';
import { counter, countStatements } from './sqlite-probes.js';
import { clockOffset, monoMs, stampsOnMonotonic, wallMs } from './clock.js';

const SELF = fileURLToPath(import.meta.url);
const SECONDS = Number(process.env.BENCH_ORDERS_SECONDS ?? 6);
const CONNECTIONS = 32;
const RATE = 50;
const KEY = 'benchkey123456';
const ORDER = { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' };

/**
 * When each request reached this process (the HTTP server's 'request' event), by the x-bench-id
 * header the load generator sets to the clientOrderId: the load generator's own fetch time is not
 * the server's.
 */
async function stampArrivals() {
  const arrivals = {};
  const { default: http } = await import('node:http');
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (event, req, ...rest) {
    if (event === 'request' && typeof req.headers['x-bench-id'] === 'string') arrivals[req.headers['x-bench-id']] = wallMs();
    return emit.call(this, event, req, ...rest);
  };
  return arrivals;
}

/** A server child's CPU so far and the main-thread wall time its SQLite statements took (countStatements, timed). */
function usage() {
  const cpu = process.cpuUsage();
  let sqlNs = 0n;
  for (const { ns } of counter.times.values()) sqlNs += ns;
  return { cpuMicros: cpu.user + cpu.system, sqlMicros: Number(sqlNs / 1000n), statements: counter.n };
}

/** Heap and RSS after a full GC (the child runs with --expose-gc), apart from usage() so no GC lands in a CPU reading. */
function memoryAfterGc() {
  if (typeof globalThis.gc !== 'function') throw new Error('memoryAfterGc needs --expose-gc');
  globalThis.gc();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss };
}

/** The child: a gateway whose broker stamps each placeOrder call; reports the stamps on request. */
async function serve() {
  countStatements(Database, { timed: true });
  const { createClient, createBroker } = await import('../dist/gateway.js');
  const { startApiServer } = await import('../dist/api/index.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'ibkr-bench-orders-'));
  const stamps = {};
  const arrivals = await stampArrivals();
  let sim = null;
  const client = await createClient({
    env: {
      DATA_DIR: dataDir,
      SIM_SESSION: 'always-open',
      ORDERS_ENABLED: 'true',
      API_KEYS: `${KEY}:read+trade+admin`,
      LOG_LEVEL: 'silent',
      API_RATE_LIMIT_PER_MINUTE: '10000000',
      ...LIFTED_LIMITS,
    },
    broker: async (config, clock, logger) => {
      const broker = await createBroker(config, clock, logger);
      sim = broker;
      const place = broker.placeOrder.bind(broker);
      broker.placeOrder = (request) => {
        const id = request.spec.clientOrderId;
        if (id !== undefined) stamps[id] = wallMs();
        return place(request);
      };
      return broker;
    },
  });
  const api = await startApiServer({ client, host: '127.0.0.1', port: 0 });
  process.on('message', (msg) => {
    if (msg === 'stamps') process.send?.({ stamps, arrivals, commits: sim?.storeCommits ?? null });
    if (msg === 'usage') process.send?.({ usage: usage() });
    if (msg === 'memory') process.send?.({ memory: memoryAfterGc() });
  });
  // Run by hand (`node --cpu-prof bench/orders.js --serve`): the URL on stdout, for a load generator.
  // Stamps here are this process's wall time; clockOffset() puts them on the load generator's clock (clock.js).
  if (process.send) process.send({ url: api.url, clockOffset: clockOffset() });
  else console.log(api.url);
  process.on('SIGTERM', () => {
    void api
      .close()
      .then(() => client.close())
      .finally(() => {
        rmSync(dataDir, { recursive: true, force: true });
        process.exit(0);
      });
  });
}

/** The child for the floor: POST body parsed, one durable group-committed row, then the answer. Stamps each commit's end as the gateway stamps transmit. */
async function serveFloor() {
  countStatements(Database, { timed: true });
  const { default: Fastify } = await import('fastify');
  const stamps = {};
  const arrivals = await stampArrivals();
  const dir = mkdtempSync(join(tmpdir(), 'ibkr-bench-floor-'));
  const db = new Database(join(dir, 'floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, timestamp TEXT NOT NULL, data TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO orders (timestamp, data) VALUES (?, ?)');
  let pending = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    const ids = db.transaction(() => batch.map((p) => Number(insert.run(p.at, p.data).lastInsertRowid)))();
    const at = wallMs();
    batch.forEach((p, i) => {
      if (p.benchId !== undefined) stamps[p.benchId] = at;
      p.resolve(ids[i]);
    });
  };
  const append = (data, benchId) =>
    new Promise((resolve) => {
      if (pending.length === 0) setImmediate(flush);
      pending.push({ at: new Date().toISOString(), data: JSON.stringify(data), benchId, resolve });
    });
  const app = Fastify();
  app.post('/api/orders/place', async (request) => ({ orderId: String(await append(request.body, request.headers['x-bench-id'])), status: 'SUBMITTED' }));
  process.on('message', (msg) => {
    if (msg === 'stamps') process.send?.({ stamps, arrivals, commits: null });
    if (msg === 'usage') process.send?.({ usage: usage() });
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.send?.({ url: `http://127.0.0.1:${app.server.address().port}`, clockOffset: clockOffset() });
  process.on('SIGTERM', () => {
    void app.close().finally(() => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  });
}

export function startGateway(mode = '--serve', execArgv = process.execArgv) {
  return new Promise((resolve, reject) => {
    const child = fork(SELF, [mode], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv });
    child.once('message', (msg) =>
      resolve({
        url: msg.url,
        // Its stamps and arrivals on this process's monotonic clock, as `sent` is (clock.js).
        report: () =>
          new Promise((r) => {
            child.once('message', (m) => r({ ...m, stamps: stampsOnMonotonic(m.stamps, msg.clockOffset), arrivals: stampsOnMonotonic(m.arrivals, msg.clockOffset) }));
            child.send('stamps');
          }),
        usage: () => new Promise((r) => (child.once('message', (m) => r(m.usage)), child.send('usage'))),
        memory: () => new Promise((r) => (child.once('message', (m) => r(m.memory)), child.send('memory'))),
        stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))),
      }),
    );
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
  });
}

/** Milliseconds from each request's arrival at the server to its stamp (transmit, or the floor's commit). */
const fromArrival = (sent, stamps, arrivals) =>
  Object.keys(sent)
    .filter((id) => stamps[id] !== undefined && arrivals[id] !== undefined)
    .map((id) => stamps[id] - arrivals[id]);

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** Durable rows/s of a bare WAL table at synchronous=FULL, one row per transaction (one fsync each). */
function rawDurableInserts(dir, ms) {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, timestamp TEXT NOT NULL, data TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO events (timestamp, data) VALUES (?, ?)');
  const payload = JSON.stringify({ spec: ORDER, status: 'SUBMITTED', config: { ordersEnabled: true } });
  const end = performance.now() + ms;
  let n = 0;
  const t0 = performance.now();
  while (performance.now() < end) {
    insert.run(new Date().toISOString(), payload);
    n++;
  }
  const perSecond = n / ((performance.now() - t0) / 1000);
  db.close();
  return perSecond;
}

/** The audit store's appends/s with `inFlight` callers each awaiting its own durable append (group commit). */
async function groupCommitted(dir, ms, inFlight) {
  const { openAuditStore } = await import('../dist/core/audit/index.js');
  const store = openAuditStore({ dataDir: join(dir, 'group'), synchronous: 'FULL' });
  const entry = (i) => ({
    correlationId: `bench-${i}`,
    eventType: 'ORDER_SUBMITTED',
    eventData: { spec: ORDER },
    userContext: { interface: 'rest', apiKeyName: 'bench' },
    accountId: 'DU1234567',
    orderId: String(i),
    configSnapshot: { ordersEnabled: true },
  });
  const end = performance.now() + ms;
  let n = 0;
  const t0 = performance.now();
  const caller = async () => {
    while (performance.now() < end) await store.append(entry(n++));
  };
  await Promise.all(Array.from({ length: inFlight }, caller));
  const perSecond = n / ((performance.now() - t0) / 1000);
  const stats = store.groupStats;
  const verdict = await store.verify();
  await store.close();
  if (!verdict.ok) throw new Error(`chain broken after the group-commit bench: ${verdict.reason}`);
  return { perSecond, meanBatch: stats.writes / Math.max(1, stats.batches) };
}

/**
 * One load of `connections` clients on `server` for `seconds`, with what each answered request cost: the server's
 * process CPU, its SQLite statements' main-thread wall time and count, and this process's CPU (the load generator's).
 */
async function measuredLoad(server, seconds, headers) {
  const before = await server.usage();
  const own = process.cpuUsage();
  const r = await autocannon({ url: `${server.url}/api/orders/place`, connections: CONNECTIONS, duration: seconds, method: 'POST', headers, body: JSON.stringify(ORDER) });
  const load = process.cpuUsage(own);
  const after = await server.usage();
  const n = Math.max(1, r.requests.total);
  return {
    r,
    serverCpuUs: (after.cpuMicros - before.cpuMicros) / n,
    sqlUs: (after.sqlMicros - before.sqlMicros) / n,
    statements: (after.statements - before.statements) / n,
    loadCpuUs: (load.user + load.system) / n,
  };
}

/** Orders at a steady `rate`/s for `seconds`; returns the send stamps by clientOrderId and the HTTP latencies. */
async function steady(url, rate, seconds) {
  const sent = {};
  const latencies = [];
  const inFlight = [];
  const total = rate * seconds;
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const clientOrderId = `lat-${i}`;
    const body = JSON.stringify({ ...ORDER, clientOrderId });
    sent[clientOrderId] = monoMs();
    const start = performance.now();
    inFlight.push(
      fetch(`${url}/api/orders/place`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json', 'x-bench-id': clientOrderId }, body }).then(async (res) => {
        await res.arrayBuffer();
        if (res.ok) latencies.push(performance.now() - start);
      }),
    );
  }
  await Promise.all(inFlight);
  return { sent, latencies };
}

export async function benchOrders() {
  const dir = mkdtempSync(join(tmpdir(), 'ibkr-bench-orders-base-'));
  const gateway = await startGateway();
  const floor = await startGateway('--serve-floor');
  try {
    const auth = { 'x-api-key': KEY, 'content-type': 'application/json' };
    // Warm-up: JIT, contract cache, the first WAL pages.
    await autocannon({ url: `${gateway.url}/api/orders/place`, connections: 8, duration: 1, method: 'POST', headers: auth, body: JSON.stringify(ORDER) });
    await autocannon({ url: `${floor.url}/api/orders/place`, connections: 8, duration: 1, method: 'POST', headers: auth, body: JSON.stringify(ORDER) });

    // Steady 50/s first, on a quiet gateway; then the floor at the same pace, right after it.
    const { sent } = await steady(gateway.url, RATE, SECONDS);
    const { stamps, arrivals, commits: commitsBefore } = await gateway.report();
    const toTransmit = Object.entries(sent)
      .filter(([id]) => stamps[id] !== undefined)
      .map(([id, at]) => stamps[id] - at);
    const arrivalToTransmit = fromArrival(sent, stamps, arrivals);
    const floorSteady = await steady(floor.url, RATE, SECONDS);
    const floorStamps = await floor.report();
    const floorArrivalToCommit = fromArrival(floorSteady.sent, floorStamps.stamps, floorStamps.arrivals);

    // Then the 32-client burst, alternating with the two baselines in slices so that both see the same disk.
    const slices = 3;
    const rest = [];
    const raw = [];
    const group = [];
    const floors = [];
    const floorCosts = [];
    const restCosts = [];
    for (let s = 0; s < slices; s++) {
      const f = await measuredLoad(floor, SECONDS / slices, auth);
      floors.push(f.r.requests.average);
      floorCosts.push(f);
      raw.push(rawDurableInserts(dir, 700));
      group.push(await groupCommitted(join(dir, `g${s}`), 700, CONNECTIONS));
      const g = await measuredLoad(gateway, SECONDS / slices, auth);
      const r = g.r;
      rest.push({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, bad: r.non2xx + r.errors + r.timeouts });
      restCosts.push(g);
    }
    const { commits: commitsAfter } = await gateway.report();
    const med = (xs) => percentile(xs, 50);
    const orders = rest.reduce((n, r) => n + r.total - r.bad, 0);
    const rps = med(rest.map((r) => r.rps));
    const rawPs = med(raw);
    const groupPs = med(group.map((g) => g.perSecond));
    const floorPs = med(floors);
    const bad = rest.reduce((n, r) => n + r.bad, 0);
    const cost = (costs, key) => med(costs.map((c) => c[key]));
    // CPU µs per order that 5,000 orders/s leaves on this machine, the load generator's included.
    const budgetUs = (availableParallelism() * 1e6) / 5000;
    // The least of each part over the slices: other load on the machine only ever adds (the SQLite times are wall time).
    const least = (costs, key) => Math.min(...costs.map((c) => c[key]));
    const floorOwnUs = Math.min(...floorCosts.map((c) => c.serverCpuUs - c.sqlUs));
    const loadUs = Math.min(least(floorCosts, 'loadCpuUs'), least(restCosts, 'loadCpuUs'));
    const leastUs = floorOwnUs + least(restCosts, 'sqlUs') + loadUs;
    return [
      {
        name: 'orders: durable orders/s via REST, 32 clients',
        value: bad === 0 ? rps : NaN,
        unit: 'orders/s',
        baseline: `raw durable INSERT ${Math.round(rawPs)}/s`,
        target: '>= 5,000',
        note: `p50 ${med(rest.map((r) => r.p50))} ms, p99 ${med(rest.map((r) => r.p99))} ms; ${(rps / rawPs).toFixed(2)}x a raw durable INSERT (${Math.round(rawPs)}/s, one fsync each), ${(rps / floorPs).toFixed(3)}x the floor below, same run; target >= 5,000${bad ? `; ${bad} failed` : ''}`,
      },
      {
        name: 'orders: floor, bare POST + one group-committed durable row',
        value: floorPs,
        unit: 'orders/s',
        note: `bare Fastify parses the same body, one WAL row at synchronous=FULL per request (a turn's requests share a commit), answers after it; 32 clients, same run: what 5,000/s is measured against`,
      },
      {
        name: 'orders: CPU per order via REST, 32 clients',
        value: cost(restCosts, 'serverCpuUs'),
        unit: 'us',
        baseline: `floor ${cost(floorCosts, 'serverCpuUs').toFixed(0)} us`,
        note: `the gateway's process CPU per order; its SQLite statements ${cost(restCosts, 'sqlUs').toFixed(0)} us of main-thread wall time (${cost(restCosts, 'statements').toFixed(1)} statements) per order, the floor's ${cost(floorCosts, 'sqlUs').toFixed(0)} us (${cost(floorCosts, 'statements').toFixed(1)}); the load generator ${cost(restCosts, 'loadCpuUs').toFixed(0)} us per order, ${cost(floorCosts, 'loadCpuUs').toFixed(0)} us per floor request`,
      },
      {
        name: 'orders: least CPU per order here vs the 5,000/s budget',
        value: leastUs,
        unit: 'us',
        baseline: `budget ${budgetUs.toFixed(0)} us`,
        note: `the least over the slices of: the floor server's CPU per request without its SQLite (${floorOwnUs.toFixed(0)} us) + the gateway's SQLite statements per order (${least(restCosts, 'sqlUs').toFixed(0)} us) + the load generator per request (${loadUs.toFixed(0)} us); the budget is ${availableParallelism()} cores' second shared by 5,000 orders. Above it, 5,000/s is out of reach on this machine for an order that writes what this one writes, whatever else the gateway skipped`,
      },
      {
        name: 'orders: audit appends/s, 32 in flight (group commit)',
        value: groupPs,
        unit: 'appends/s',
        baseline: `raw durable INSERT ${Math.round(rawPs)}/s`,
        note: `${(groupPs / rawPs).toFixed(2)}x the raw durable INSERT; ${med(group.map((g) => g.meanBatch)).toFixed(1)} rows per commit`,
      },
      {
        name: `orders: request->transmit p99 at ${RATE} orders/s`,
        value: percentile(toTransmit, 99),
        unit: 'ms',
        target: '<= 5 ms',
        note: `p50 ${percentile(toTransmit, 50).toFixed(2)} ms over ${toTransmit.length} orders, from the load generator's send (its own fetch included)`,
      },
      {
        name: `orders: arrival->transmit p99 at ${RATE} orders/s`,
        value: percentile(arrivalToTransmit, 99),
        unit: 'ms',
        target: '<= 5 ms',
        baseline: `floor ${percentile(floorArrivalToCommit, 99).toFixed(2)} ms`,
        note: `p50 ${percentile(arrivalToTransmit, 50).toFixed(2)} ms over ${arrivalToTransmit.length} orders, from the gateway's HTTP server receiving the request (the same orders as the row above); the floor at the same pace right after, arrival to its durable commit done: p50 ${percentile(floorArrivalToCommit, 50).toFixed(2)}, p99 ${percentile(floorArrivalToCommit, 99).toFixed(2)} ms`,
      },
      {
        name: 'orders: sim.db commits per order',
        value: commitsBefore === null || commitsAfter === null ? NaN : (commitsAfter - commitsBefore) / Math.max(1, orders),
        unit: 'commits',
        target: '<= 1',
        note: `over the 32-client run (${orders} orders; the matching loop's own ticks included); budget <= 1`,
      },
    ];
  } finally {
    await gateway.stop();
    await floor.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve') {
  await serve();
} else if (process.argv[2] === '--serve-floor') {
  await serveFloor();
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchOrders()) console.log(`${r.name.padEnd(52)} ${(Number.isFinite(r.value) ? r.value.toFixed(2) : '-').padStart(12)} ${r.unit.padEnd(9)} ${r.note}`);
}
