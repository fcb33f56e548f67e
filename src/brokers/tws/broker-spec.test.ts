/**
 * The Broker specification against the tws broker over a real socket to the
 * TWS emulator; the emulator's restart switch is its gateway restart. The
 * emulator grants one streaming market-data line (snapshots take none), so the
 * quote-stream case's second subscription works only if the first released it.
 */
import { describeBrokerSpec } from '../../testing/broker-spec.js';
import { makeTwsHarness } from '../../testing/tws-harness.js';

describeBrokerSpec('tws over the TWS emulator', async () => {
  const h = await makeTwsHarness({}, { maxMarketDataLines: 1 });
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
