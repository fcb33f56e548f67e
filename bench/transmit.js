// Request->transmit latency at a steady 50 orders/s, A/B between builds, with
// the disk's own durable-commit latency measured in the same sitting (issue 18).
//
//   node bench/transmit.js [root ...]      (default: this worktree)
//
// Each root is a checkout with dist/ built; its bench/orders.js --serve is
// the gateway (REST, sim, durable audit.db), so every build is measured by
// its own code. Roots are run alternately, ROUNDS times, for SECONDS each.
// Between gateway runs a bare WAL table at synchronous=FULL commits one row
// per transaction, so the fsync distribution of this disk sits beside the
// orders' latency (the limit p99 cannot go under).
//
// The gateway's CPU per order over each measured run (user + system time from
// /proc/<pid>/stat, the same reading for every build) is printed beside it.
//
// Environment: SECONDS, ROUNDS, RATE, WARM_SECONDS (at RATE before each run, default 2); GW_ARGS (node flags for the gateway,
// e.g. "--trace-gc" or "--cpu-prof --cpu-prof-dir=/tmp/prof"), GW_STDOUT=1
// (show the gateway's stdout), WRAP (a command the gateway runs under),
// SLOWEST=n (print the n slowest orders with their send time, to line them up
// with GC or checkpoint logs).
//
// Where each order's time goes: the gateway runs with bench/transmit-probe.js
// preloaded (this checkout's, for every root), which records every fdatasync
// the process hands the thread pool and every GC pause on the orders' clock.
// Per order, the window from send to transmit is split into: the client's
// send to the request's arrival at the gateway (the load generator's fetch and
// loopback: not the gateway's time, so arrival -> transmit is printed too),
// arrival to the moment its durable commit asked for the WAL sync (parsing,
// assessment, the commit's own CPU), the sync itself (the disk, and the
// thread-pool and event-loop hops around it), and from the sync's callback to
// placeOrder. Orders whose window holds a GC pause are counted, and p99 is
// also given without them, so each run says which limit its tail hit.
/* global fetch */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { monoMs, monoToDate, stampsOnMonotonic } from './clock.js';

const SECONDS = Number(process.env.SECONDS ?? 12);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const RATE = Number(process.env.RATE ?? 50);
// Seconds at RATE before each measured run (JIT tier-up, the first WAL pages, the checkpoint worker's start).
const WARM_SECONDS = Number(process.env.WARM_SECONDS ?? 2);
const KEY = 'benchkey123456';
const ORDER = { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' };
const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2).map((r) => resolve(r)) : [resolve(new URL('..', import.meta.url).pathname)];

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const summary = (xs) => `p50 ${pct(xs, 50).toFixed(2)}  p90 ${pct(xs, 90).toFixed(2)}  p99 ${pct(xs, 99).toFixed(2)}  max ${Math.max(...xs).toFixed(2)} ms (n=${xs.length})`;

const PROBE = fileURLToPath(new URL('transmit-probe.js', import.meta.url));

function startGateway(root, probeOut) {
  return new Promise((ok, fail) => {
    const nodeArgs = ['--import', PROBE, ...(process.env.GW_ARGS ?? '').split(' ').filter(Boolean), join(root, 'bench/orders.js'), '--serve'];
    const env = { ...process.env, TRANSMIT_PROBE_OUT: probeOut };
    // WRAP="strace -f -c -e trace=fdatasync,fsync -o FILE": the gateway under a tracer (the IPC channel passes through).
    const wrap = (process.env.WRAP ?? '').split(' ').filter(Boolean);
    const stdio = ['ignore', process.env.GW_STDOUT ? 'inherit' : 'ignore', 'inherit', 'ipc'];
    const child = wrap.length > 0 ? spawn(wrap[0], [...wrap.slice(1), process.execPath, ...nodeArgs], { stdio, env }) : spawn(process.execPath, nodeArgs, { stdio, env });
    child.once('message', (msg) =>
      ok({
        url: msg.url,
        pid: child.pid,
        report: () => new Promise((r) => (child.once('message', r), child.send('stamps'))),
        stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))),
      }),
    );
    child.once('error', fail);
  });
}

async function steady(url, prefix, rate, seconds) {
  const sent = {};
  const inFlight = [];
  const total = rate * seconds;
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const clientOrderId = `${prefix}-${i}`;
    sent[clientOrderId] = monoMs();
    inFlight.push(
      fetch(`${url}/api/orders/place`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json', 'x-bench-id': clientOrderId }, body: JSON.stringify({ ...ORDER, clientOrderId }) }).then((res) => res.arrayBuffer()),
    );
  }
  await Promise.all(inFlight);
  return sent;
}

/** CPU time (user + system, ms) the process has used so far, from /proc (Linux): the same reading for every build. */
function cpuMsOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name, in clock ticks (USER_HZ = 100).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** One durable row per transaction on a bare WAL table: the disk's commit latency. */
function rawCommits(dir, n) {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, timestamp TEXT NOT NULL, data TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO events (timestamp, data) VALUES (?, ?)');
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    insert.run(new Date().toISOString(), JSON.stringify({ spec: ORDER, i }));
    out.push(performance.now() - t);
  }
  db.close();
  return out;
}

/** The probe's records (the gateway's wall time) on the monotonic clock, by the offset it wrote beside them. */
function probeOnMonotonic(probe) {
  const offset = probe.offset;
  return { offset, arrivals: stampsOnMonotonic(probe.arrivals, offset), syncs: probe.syncs.map(([asked, done]) => [asked - offset, done - offset]), gcs: probe.gcs.map(([start, ms, kind]) => [start - offset, ms, kind]) };
}

/**
 * Each order's window split by the probe's records: [send -> its commit asked for the WAL sync, the sync,
 * sync callback -> placeOrder], and the GC pause time inside the window (0 for most orders).
 */
function split(sent, stamps, probe) {
  const syncs = [...probe.syncs].sort((a, b) => a[1] - b[1]);
  return Object.entries(sent)
    .filter(([id]) => stamps[id] !== undefined)
    .map(([id, at]) => {
      const tx = stamps[id];
      // The last sync whose callback ran before this transmit and that was asked for after the send.
      let sync = null;
      for (const s of syncs) if (s[1] <= tx && s[0] >= at) sync = s;
      const gc = probe.gcs.filter(([start]) => start >= at && start <= tx).reduce((sum, [start, ms]) => sum + Math.min(ms, tx - start), 0);
      const arrived = probe.arrivals[id] ?? NaN;
      return { total: tx - at, sendToArrival: arrived - at, arrivalToTransmit: tx - arrived, toSync: sync ? sync[0] - arrived : NaN, sync: sync ? sync[1] - sync[0] : NaN, afterSync: sync ? tx - sync[1] : NaN, gc };
    });
}

const p = (xs, q) => pct(xs.filter((x) => !Number.isNaN(x)), q).toFixed(2);
const splitSummary = (parts) => {
  const noGc = parts.filter((o) => o.gc === 0);
  const withGc = parts.filter((o) => o.gc > 0);
  return [
    `  arrival at the gateway -> transmit: p50 ${p(parts.map((o) => o.arrivalToTransmit), 50)}  p90 ${p(parts.map((o) => o.arrivalToTransmit), 90)}  p99 ${p(parts.map((o) => o.arrivalToTransmit), 99)} ms`,
    `  split p50 (p99): client send -> arrival ${p(parts.map((o) => o.sendToArrival), 50)} (${p(parts.map((o) => o.sendToArrival), 99)}), arrival -> commit asks for the sync ${p(parts.map((o) => o.toSync), 50)} (${p(parts.map((o) => o.toSync), 99)}), WAL sync ${p(parts.map((o) => o.sync), 50)} (${p(parts.map((o) => o.sync), 99)}), sync done -> transmit ${p(parts.map((o) => o.afterSync), 50)} (${p(parts.map((o) => o.afterSync), 99)}) ms`,
    `  GC pause inside the window: ${withGc.length} of ${parts.length} orders (${((100 * withGc.length) / parts.length).toFixed(1)} %), pause there p50 ${withGc.length > 0 ? p(withGc.map((o) => o.gc), 50) : '-'} ms; p99 without them ${noGc.length > 0 ? p(noGc.map((o) => o.total), 99) : '-'} ms`,
  ].join('\n');
};

const dir = mkdtempSync(join(tmpdir(), 'ibkr-bench-transmit-'));
const splits = new Map(roots.map((r) => [r, []]));
const results = new Map(roots.map((r) => [r, []]));
const cpu = new Map(roots.map((r) => [r, []]));
const raw = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const root of roots) {
      raw.push(...rawCommits(dir, 300));
      const probeOut = join(dir, `probe-${round}.json`);
      const gw = await startGateway(root, probeOut);
      let sent = {};
      let stamps = {};
      let perOrder = NaN;
      try {
        await steady(gw.url, 'warm', RATE, WARM_SECONDS);
        const cpu0 = cpuMsOf(gw.pid);
        sent = await steady(gw.url, `r${round}`, RATE, SECONDS);
        perOrder = (cpuMsOf(gw.pid) - cpu0) / Object.keys(sent).length;
        cpu.get(root)?.push(perOrder);
        ({ stamps } = await gw.report());
      } finally {
        await gw.stop();
      }
      // Written by the probe as the gateway exits. Every stamp the gateway took (any build's orders.js and this
      // probe) is its wall time; the probe's offset puts them on the monotonic clock `sent` is on (clock.js).
      const probe = probeOnMonotonic(JSON.parse(readFileSync(probeOut, 'utf8')));
      stamps = stampsOnMonotonic(stamps, probe.offset);
      const xs = Object.entries(sent)
        .filter(([id]) => stamps[id] !== undefined)
        .map(([id, at]) => stamps[id] - at);
      results.get(root)?.push(xs);
      if (process.env.SLOWEST) {
        const slow = Object.entries(sent).filter(([id]) => stamps[id] !== undefined).map(([id, at]) => [monoToDate(at).toISOString(), (stamps[id] - at).toFixed(1)]);
        console.log(slow.sort((a, b) => Number(b[1]) - Number(a[1])).slice(0, Number(process.env.SLOWEST)).sort().map((x) => x.join(' ')).join('\n'));
      }
      console.log(`${root}  round ${round}: ${summary(xs)}; gateway CPU ${perOrder.toFixed(2)} ms per order`);
      const parts = split(sent, stamps, probe);
      splits.get(root)?.push(...parts);
      console.log(splitSummary(parts));
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [root, runs] of results) {
  console.log(`${root}  all: ${summary(runs.flat())}; gateway CPU per order, median of rounds: ${median(cpu.get(root) ?? []).toFixed(2)} ms`);
  console.log(splitSummary(splits.get(root) ?? []));
}
console.log(`raw durable commit (WAL, synchronous=FULL, one row): ${summary(raw)}`);
