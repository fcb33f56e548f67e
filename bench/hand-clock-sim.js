// The simulator as the sim benches drive it (sim-orders.js, sim-placements.js, sim-pages.js): one build's
// broker on sim.db in a fresh directory, AAPL at a seeded market, a clock moved by hand but, like the system
// clock, without advance notifications (the broker's own one-second timer and placeOrder catch the market up,
// as in a gateway; a ManualClock would run the tick work per move), and the main thread's own CPU clock.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The main thread's own CPU time in µs (Linux schedstat, nanoseconds): the sim.db checkpoint worker and the
 * GC's helper threads run beside it at moments unrelated to a slice, and process CPU would count them.
 */
export const mainThreadCpuUs = () => Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;

/** `root`'s simulator, connected, on a clock that `clock.advance(ms)` moves; `label` names its temporary directory. */
export async function handClockSim(root, label) {
  const dist = (p) => pathToFileURL(join(root, 'dist', p)).href;
  const { createSimBroker } = await import(dist('brokers/sim/index.js'));
  const { OrderSpec } = await import(dist('core/models.js'));
  const dataDir = mkdtempSync(join(tmpdir(), `ibkr-bench-${label}-`));
  let now = Date.parse('2026-01-05T15:00:00.000Z');
  const clock = { now: () => now, onAdvance: () => () => undefined, advance: (ms) => (now += ms) };
  const broker = createSimBroker({ dataDir, seed: 42, session: 'always-open', startingCash: 1e12, clock });
  await broker.connect();
  return { broker, OrderSpec, clock, dataDir };
}
