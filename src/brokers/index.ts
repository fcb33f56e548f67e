/**
 * Picks the Broker for BROKER=...: the embedded simulator by default, IB
 * Gateway / TWS through the tws adapter when configured.
 */
import type { Clock } from '../core/clock.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logging.js';
import type { Broker } from '../core/broker/port.js';
import { createSimBroker } from './sim/index.js';
import { createTwsBroker } from './tws/index.js';

export function createBroker(config: Config, clock: Clock, logger?: Logger): Broker {
  switch (config.broker) {
    case 'sim':
      return createSimBroker({
        dataDir: config.dataDir,
        seed: config.sim.seed,
        session: config.sim.session,
        startingCash: config.sim.startingCash,
        accountId: config.sim.accountId,
        clock,
      });
    case 'tws':
      return createTwsBroker({ host: config.ibkr.host, port: config.ibkr.port, clientId: config.ibkr.clientId, dataDir: config.dataDir, clock, logger });
  }
}
