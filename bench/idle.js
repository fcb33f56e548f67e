// What an idle gateway costs (issue 18: CPU per order at a steady 50 orders/s includes the background
// work between orders): `node bench/idle.js [root ...]` (default: this worktree; needs `npm run build`).
//
// Each root's bench/orders.js --serve (REST, sim, durable audit.db) is started with bench/idle-probe.js
// preloaded, takes WARM orders (default 50, at 50/s: the account holds a position, the WAL and the
// checkpointers have started), is left alone for SETTLE ms (default 5000), and is then measured idle for
// SECONDS (default 30): the process CPU per second (/proc, every thread: the main thread, V8's helpers,
// the thread pool, the checkpoint workers), per thread, and each timer callback's CPU per second by where
// the timer was created (the simulator's matching loop, the kill-switch follower, the approval sweep, the
// instance heartbeat, the exposure publisher when a desk is configured, the group commit's setImmediate).
// At R orders/s, an idle cost of C ms/s is C/R ms per order.
/* global fetch */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const SECONDS = Number(process.env.SECONDS ?? 30);
const WARM = Number(process.env.WARM ?? 50);
const SETTLE = Number(process.env.SETTLE ?? 5000);
const KEY = 'benchkey123456';
const PROBE = fileURLToPath(new URL('idle-probe.js', import.meta.url));
const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2).map((r) => resolve(r)) : [resolve(fileURLToPath(new URL('..', import.meta.url)))];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** CPU ticks (user + system, USER_HZ = 100) of one /proc stat file. */
const ticksOf = (file) => {
  const fields = readFileSync(file, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
};
const threads = (pid) => {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(tid, ticksOf(`/proc/${pid}/task/${tid}/stat`));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
};

for (const root of roots) {
  const child = spawn(process.execPath, ['--import', PROBE, join(root, 'bench/orders.js'), '--serve'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const url = await new Promise((ok) => child.once('message', (msg) => ok(msg.url)));
  for (let i = 0; i < WARM; i++) {
    const res = await fetch(`${url}/api/orders/place`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: JSON.stringify({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT', clientOrderId: `warm-${i}` }) });
    await res.arrayBuffer();
    await sleep(20);
  }
  await sleep(SETTLE);
  const before = threads(child.pid);
  const cpu0 = ticksOf(`/proc/${child.pid}/stat`);
  const t0 = performance.now();
  child.kill('SIGUSR2');
  await sleep(SECONDS * 1000);
  child.kill('SIGUSR2');
  const secs = (performance.now() - t0) / 1000;
  const after = threads(child.pid);
  const cpu1 = ticksOf(`/proc/${child.pid}/stat`);
  // The probe's per-timer lines (stderr) first.
  await sleep(300);
  const perThread = [...after]
    .map(([tid, t]) => [tid === String(child.pid) ? 'main' : tid, ((t - (before.get(tid) ?? 0)) * 10) / secs])
    .filter(([, ms]) => ms > 0)
    .map(([tid, ms]) => `${tid} ${ms.toFixed(2)}`)
    .join(', ');
  console.log(`${root}: idle process CPU ${(((cpu1 - cpu0) * 10) / secs).toFixed(2)} ms/s (10 ms ticks over ${secs.toFixed(0)} s); by thread ms/s: ${perThread}`);
  await new Promise((r) => (child.once('exit', r), child.kill('SIGTERM')));
}
