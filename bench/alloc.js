// Bytes allocated per REST order at a steady 50 orders/s, A/B between builds (issue 18: the young-generation
// scavenges, one about every 60 orders, that land inside ~1 % of order windows at 50/s).
//
//   node bench/alloc.js [root ...]      (each a checkout with dist/ built; default: this worktree)
//
// Each root's bench/orders.js --serve is the gateway (REST, sim, durable audit.db), with this checkout's
// bench/alloc-probe.js preloaded: V8's sampling heap profiler counting what young and old GC collected too.
// After WARM seconds of orders, SECONDS seconds of orders are sampled; the profile's total over the orders is
// the bytes allocated per order (the background timers' share included, as at 50/s in production). Printed per
// run: the total and its split by the innermost frame of the gateway's own code (dist/<dir>), so a library's or
// the runtime's allocation counts for the code that asked for it; with TOP=n, also the n largest functions.
// Roots alternate, ROUNDS times. The figure does not depend on the machine's load the way CPU does: two runs of
// one build agree within about 3 %.
// Environment: WARM (4), SECONDS (10), ROUNDS (2), RATE (50), TOP (0), ALLOC_INTERVAL (sampling bytes, 256).
/* global fetch */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const WARM = Number(process.env.WARM ?? 4);
const SECONDS = Number(process.env.SECONDS ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const RATE = Number(process.env.RATE ?? 50);
const TOP = Number(process.env.TOP ?? 0);
const KEY = 'benchkey123456';
const ORDER = { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' };
const PROBE = fileURLToPath(new URL('alloc-probe.js', import.meta.url));
const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2).map((r) => resolve(r)) : [resolve(fileURLToPath(new URL('..', import.meta.url)))];

function startGateway(root) {
  const child = spawn(process.execPath, ['--import', PROBE, join(root, 'bench/orders.js'), '--serve'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const next = (pred) =>
    new Promise((ok) => {
      const on = (msg) => {
        if (pred(msg)) {
          child.off('message', on);
          ok(msg);
        }
      };
      child.on('message', on);
    });
  return { child, next };
}

async function steady(url, prefix, seconds) {
  const total = RATE * seconds;
  const t0 = performance.now();
  const inFlight = [];
  let failed = 0;
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / RATE - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const clientOrderId = `${prefix}-${i}`;
    inFlight.push(
      fetch(`${url}/api/orders/place`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: JSON.stringify({ ...ORDER, clientOrderId }) }).then(async (res) => {
        if (res.status >= 300) failed++;
        await res.arrayBuffer();
      }),
    );
  }
  await Promise.all(inFlight);
  return { total, failed };
}

/** Bytes by the innermost frame of the gateway's own code (dist/<dir>, dist/core/<dir>), and by that function. */
function summarize(profile) {
  const areas = new Map();
  const fns = new Map();
  let total = 0;
  const walk = (node, area, fn) => {
    const { url, functionName, lineNumber } = node.callFrame;
    const at = url.indexOf('/dist/');
    if (at >= 0) {
      const parts = url.slice(at + 6).split('/');
      area = parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts.length === 2 && parts[0] !== 'core' ? parts[0] : parts.join('/');
      fn = `${functionName || '(anonymous)'} ${url.slice(at + 6)}:${lineNumber + 1}`;
    }
    total += node.selfSize;
    const a = area ?? '(no gateway frame: HTTP, timers, runtime)';
    areas.set(a, (areas.get(a) ?? 0) + node.selfSize);
    if (fn) fns.set(fn, (fns.get(fn) ?? 0) + node.selfSize);
    for (const c of node.children) walk(c, area, fn);
  };
  walk(profile.head, null, null);
  return { total, areas, fns };
}

const dir = mkdtempSync(join(tmpdir(), 'ibkr-bench-alloc-'));
const kb = (bytes, orders) => (bytes / orders / 1024).toFixed(1);
const totals = new Map(roots.map((r) => [r, []]));
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const root of roots) {
      const gw = startGateway(root);
      const { url } = await gw.next((m) => typeof m?.url === 'string');
      await steady(url, `w${round}`, WARM);
      gw.child.send({ alloc: 'start' });
      await gw.next((m) => m?.alloc === 'started');
      const { total: orders, failed } = await steady(url, `m${round}`, SECONDS);
      const file = join(dir, `alloc-${round}.heapprofile`);
      gw.child.send({ alloc: 'stop', file });
      await gw.next((m) => m?.alloc === 'stopped');
      await new Promise((r) => (gw.child.once('exit', r), gw.child.kill('SIGTERM')));
      const { total, areas, fns } = summarize(JSON.parse(readFileSync(file, 'utf8')));
      totals.get(root).push(total / orders / 1024);
      const split = [...areas].sort((a, b) => b[1] - a[1]).filter(([, v]) => v / orders >= 512);
      console.log(`${root}  round ${round}: ${kb(total, orders)} KB allocated per order (${orders} orders${failed ? `, ${failed} failed` : ''})`);
      console.log(`  ${split.map(([k, v]) => `${k} ${kb(v, orders)}`).join(', ')}`);
      if (TOP > 0) for (const [k, v] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`    ${kb(v, orders).padStart(6)} KB  ${k}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
for (const [root, xs] of totals) {
  const s = [...xs].sort((a, b) => a - b);
  console.log(`${root}: median ${s[Math.floor((s.length - 1) / 2)].toFixed(1)} KB per order (${s.map((x) => x.toFixed(1)).join(', ')})`);
}
if (roots.length === 2) {
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const [a, b] = roots.map((r) => med(totals.get(r)));
  console.log(`B/A: ${(b / a).toFixed(3)}`);
}
