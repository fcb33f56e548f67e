import { describeBrokerContract } from '../contract.js';
import { makeSimHarness } from './testing.js';

describeBrokerContract('sim (always-open)', async () => makeSimHarness({ session: 'always-open' }));
describeBrokerContract('sim (real sessions, Monday 10:00 ET)', async () => makeSimHarness({ session: 'real', seed: 7 }));
