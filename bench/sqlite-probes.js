// What a SQLite file's writers cost, for the benches that give it per order (order-pages.js for audit.db,
// sim-pages.js for sim.db): better-sqlite3 statement executions (every prepared statement shares one prototype,
// and several roots share one better-sqlite3 through node_modules, so one count covers them all), with `timed`
// each statement's main-thread wall time by its text, and the pages a WAL file holds.
import { readFileSync } from 'node:fs';

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

/** Page numbers of the WAL's frames, and how many frames ended a commit. */
export function walFrames(path) {
  const buf = readFileSync(path);
  const pageSize = buf.readUInt32BE(8);
  const pages = [];
  let commits = 0;
  for (let off = 32; off + 24 + pageSize <= buf.length; off += 24 + pageSize) {
    pages.push(buf.readUInt32BE(off));
    if (buf.readUInt32BE(off + 4) !== 0) commits += 1;
  }
  return { pages, commits };
}
