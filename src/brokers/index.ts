/**
 * Picks the Broker for BROKER=...: the embedded simulator by default, IB
 * Gateway / TWS through the tws adapter when configured.
 */
import type { Clock } from '../core/clock.js';
import type { Config } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import type { Broker } from './broker.js';
import { createSimBroker } from './sim/index.js';

export function createBroker(config: Config, clock: Clock): Broker {
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
      throw new ConfigError('BROKER', 'Invalid configuration: BROKER=tws is not available in this build yet; use BROKER=sim');
  }
}
