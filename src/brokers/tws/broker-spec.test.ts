/** The shared Broker contract suite, against the tws broker over a real socket to the TWS emulator. */
import { describeBrokerContract } from '../../testing/broker-spec.js';
import { makeTwsHarness } from '../../testing/tws-harness.js';

describeBrokerContract('tws over the TWS emulator', async () => {
  const h = await makeTwsHarness();
  return { broker: h.broker, advance: (ms) => h.advance(ms), cleanup: () => h.cleanup() };
});
