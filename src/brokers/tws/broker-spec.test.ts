/** The Broker specification against the tws broker over a real socket to the TWS emulator; the emulator's restart switch is its gateway restart. */
import { describeBrokerSpec } from '../../testing/broker-spec.js';
import { makeTwsHarness } from '../../testing/tws-harness.js';

describeBrokerSpec('tws over the TWS emulator', async () => {
  const h = await makeTwsHarness();
  return {
    broker: h.broker,
    advance: (ms) => h.advance(ms),
    interrupt: async (awayMs) => {
      await h.restartGateway(awayMs);
      return h.broker;
    },
    cleanup: () => h.cleanup(),
  };
});
