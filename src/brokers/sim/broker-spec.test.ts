/** The Broker specification against the simulator, with and without real exchange sessions; a restart over the same data directory is its gateway restart. */
import { describeBrokerSpec, type BrokerHarness } from '../../testing/broker-spec.js';
import { makeSimHarness } from '../../testing/sim-harness.js';

function simHarness(options: Parameters<typeof makeSimHarness>[0]): BrokerHarness {
  const h = makeSimHarness(options);
  return {
    broker: h.broker,
    advance: (ms) => h.advance(ms),
    interrupt: (awayMs, attach) => h.restart(awayMs, attach),
    cleanup: () => h.cleanup(),
  };
}

describeBrokerSpec('sim (always-open)', async () => simHarness({ session: 'always-open' }));
describeBrokerSpec('sim (real sessions, Monday 10:00 ET)', async () => simHarness({ session: 'real', seed: 7 }));
