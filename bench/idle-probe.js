// Preloaded into bench/idle.js's gateway (`node --import bench/idle-probe.js`): wraps setInterval,
// setTimeout and setImmediate so that, between two SIGUSR2 signals, each callback's process CPU
// (its synchronous part) is added up by where its timer was created (three stack frames). At the
// second signal it prints, to stderr, the process CPU per second over the window and each timer's
// share. It changes nothing the gateway does: every callback is the original, called as before.
import { performance } from 'node:perf_hooks';

const cpuNow = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const stats = new Map();
let on = false;
let t0 = 0;
let cpu0 = 0;

const count = (where, us) => {
  let s = stats.get(where);
  if (!s) stats.set(where, (s = { calls: 0, us: 0 }));
  s.calls += 1;
  s.us += us;
};
const timed = (where, fn) =>
  function (...args) {
    if (!on) return fn.apply(this, args);
    const c = cpuNow();
    try {
      return fn.apply(this, args);
    } finally {
      count(where, cpuNow() - c);
    }
  };
const site = () =>
  new Error().stack
    .split('\n')
    .slice(3, 6)
    .map((l) => l.trim().replace(/^at /, '').replace(/file:\/\/\/.*?\/dist\//, 'dist/'))
    .join(' < ');
for (const name of ['setInterval', 'setTimeout']) {
  const original = globalThis[name];
  globalThis[name] = function (fn, ms, ...args) {
    return typeof fn === 'function' ? original.call(this, timed(`${name}(${ms}) ${site()}`, fn), ms, ...args) : original.call(this, fn, ms, ...args);
  };
}
const immediate = globalThis.setImmediate;
globalThis.setImmediate = function (fn, ...args) {
  return typeof fn === 'function' ? immediate(timed(`setImmediate ${site()}`, fn), ...args) : immediate(fn, ...args);
};

process.on('SIGUSR2', () => {
  if (!on) {
    stats.clear();
    on = true;
    t0 = performance.now();
    cpu0 = cpuNow();
    return;
  }
  on = false;
  const secs = (performance.now() - t0) / 1000;
  const total = (cpuNow() - cpu0) / 1000 / secs;
  let inTimers = 0;
  const rows = [...stats].sort((a, b) => b[1].us - a[1].us);
  for (const [, s] of rows) inTimers += s.us;
  const lines = rows.map(([where, s]) => `  ${(s.us / 1000 / secs).toFixed(3)} ms/s  ${(s.calls / secs).toFixed(1)}/s  ${(s.us / s.calls).toFixed(0)} µs each  ${where}`);
  console.error([`idle ${secs.toFixed(1)} s: process CPU ${total.toFixed(2)} ms/s, in timer callbacks ${(inTimers / 1000 / secs).toFixed(2)} ms/s`, ...lines].join('\n'));
});
