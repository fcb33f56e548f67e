// One write batch on the PostgreSQL store, A/B between builds (issue 18):
//
//   node bench/postgres-batch.js A B      (each a checkout with dist/ built)
//
// Both builds' stores open on one throw-away server (a database each); each
// round asks each build's store for 16 relaxed recordOrders in one event-loop
// turn (one batch: lock, heads, 16 jobs, COMMIT without a WAL flush, so the
// round trips and the server's work count, not the disk), the builds' order
// alternating. Prints each build's median and p25 batch time and the median
// of the per-round ratios B/A. Environment: ROUNDS (default 250; the first 20
// are warm-up).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { transpileForChild } from '../src/testing/transpile-for-child.mjs';
import { entry, version } from './order-samples.js';

const roots = process.argv.slice(2).map((r) => resolve(r));
if (roots.length !== 2) throw new Error('usage: node bench/postgres-batch.js A B');
const ROUNDS = Number(process.env.ROUNDS ?? 250);
const WARM = 20;
const BATCH = 16;
const KEY = 'b'.repeat(40);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quartile = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 4)];

const compiled = transpileForChild(['testing/postgres.ts'], `bench-pg-batch-${process.pid}`);
const { startTestPostgres } = await import(pathToFileURL(join(compiled, 'testing', 'postgres.js')).href);
const server = await startTestPostgres({ durable: true });
const dir = mkdtempSync(join(tmpdir(), 'ibkr-pg-batch-'));
let next = 0;
try {
  const builds = [];
  for (const [i, root] of roots.entries()) {
    const { openPostgresStore } = await import(pathToFileURL(join(root, 'dist/core/audit/postgres/store.js')).href);
    const url = await server.createDatabase(`batch${i}`);
    builds.push({ root, store: await openPostgresStore({ url, dataDir: join(dir, String(i)), hmacKey: KEY }), times: [] });
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < builds.length; k++) {
      const b = builds[(round + k) % builds.length];
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: BATCH }, () => {
          const id = String(++next);
          return b.store.recordOrder(entry(id, id, 'ORDER_SUBMITTED', { orderId: id }), version(id, id, 'SUBMITTED'), { durability: 'relaxed' });
        }),
      );
      if (round >= WARM) b.times.push(performance.now() - t0);
    }
  }
  for (const b of builds) console.log(`${b.root}  batch of ${BATCH}: median ${median(b.times).toFixed(2)} ms, p25 ${quartile(b.times).toFixed(2)} ms`);
  const [a, bb] = builds;
  console.log(`B/A, median of per-round ratios: ${median(bb.times.map((t, i) => t / a.times[i])).toFixed(3)}`);
  for (const b of builds) {
    const verdict = await b.store.verify();
    if (!verdict.ok) throw new Error(`${b.root}: chain did not verify: ${verdict.reason}`);
    await b.store.close();
  }
} finally {
  await server.destroy();
  rmSync(dir, { recursive: true, force: true });
}
