/**
 * The embedded simulated broker (BROKER=sim, the default).
 *
 * `createSimBroker` returns a Broker over a deterministic market (SIM_SEED), a
 * matching engine and a persisted paper account in `${dataDir}/sim.db`;
 * `resetSimAccount` starts that account afresh (`ibkr-gateway sim reset`).
 */
import type { Broker } from '../broker.js';
import { SimBroker, type SimBrokerOptions } from './broker.js';

export type { SimBrokerOptions } from './broker.js';
export { SimBroker } from './broker.js';
export { resetSimAccount } from './store.js';
export { Catalogue } from './catalogue.js';

export function createSimBroker(options: SimBrokerOptions): Broker & SimBroker {
  return new SimBroker(options);
}
