import { describeBrokerContract } from '../../testing/broker-spec.js';
import { makeSimHarness } from '../../testing/sim-harness.js';

describeBrokerContract('sim (always-open)', async () => makeSimHarness({ session: 'always-open' }));
describeBrokerContract('sim (real sessions, Monday 10:00 ET)', async () => makeSimHarness({ session: 'real', seed: 7 }));
