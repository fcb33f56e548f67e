// Counts better-sqlite3 statement executions (every prepared statement shares one prototype), and with
// `timed` also each statement's main-thread wall time by its text. Used by the benches that give statements
// per order (order-pages.js for audit.db, sim-pages.js for sim.db); several roots share one better-sqlite3
// through node_modules, so one count covers them all.

/** Executions so far (`n`) and, when timed, { n, ns } per statement text. */
export const counter = { n: 0, times: new Map() };

/** Wraps run/get/all/iterate of `Database`'s statements once; `textLength`: how much of each text keys `times`. */
export function countStatements(Database, { timed = false, textLength = 100 } = {}) {
  const proto = Object.getPrototypeOf(new Database(':memory:').prepare('SELECT 1'));
  for (const method of ['run', 'get', 'all', 'iterate']) {
    const original = proto[method];
    if (original.__counted) continue;
    const wrapped = function (...args) {
      counter.n += 1;
      if (!timed) return original.apply(this, args);
      const t = process.hrtime.bigint();
      try {
        return original.apply(this, args);
      } finally {
        const k = `${method} ${this.source.replace(/\s+/g, ' ').slice(0, textLength)}`;
        const e = counter.times.get(k) ?? { n: 0, ns: 0n };
        e.n += 1;
        e.ns += process.hrtime.bigint() - t;
        counter.times.set(k, e);
      }
    };
    wrapped.__counted = true;
    proto[method] = wrapped;
  }
}
