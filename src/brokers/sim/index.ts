/**
 * The embedded simulated broker (BROKER=sim, the default).
 *
 * `createSimBroker` returns a Broker over a deterministic market (SIM_SEED), a
 * matching engine and a persisted paper account in `${dataDir}/sim.db`;
 * `resetSimAccount` starts that account afresh (`ibkr-gateway sim reset`).
 *
 * Modules: catalogue (instruments, real conIds), sessions (New York hours,
 * SIM_SESSION), market (seeded price paths, quotes, bars), options
 * (Black-Scholes, listings), matching (how an order meets the book),
 * commissions (IBKR Pro Fixed), ledger (cash, positions, P&L, Reg T margin),
 * store (SQLite), instruments (contract resolution), broker (the Broker).
 *
 * Deliberate simplifications, so nobody mistakes them for IBKR behaviour:
 * exchange holidays are not modelled (every weekday trades); only the top of
 * book is displayed (FOK fills against the displayed size only, and hidden
 * depth behind the touch is assumed); equity with loan value equals net
 * liquidation; the account is kept in USD (a yen-quoted trade is converted at
 * the fill's rate); options are European and are not exercised at expiry; a
 * futures spec without an expiry resolves to the front month only.
 */
import type { Broker } from '../../core/broker/port.js';
import { SimBroker, type SimBrokerOptions } from './broker.js';

export type { SimBrokerOptions } from './broker.js';
export { SimBroker } from './broker.js';
export { resetSimAccount } from './store.js';
export { Catalogue } from './catalogue.js';

export function createSimBroker(options: SimBrokerOptions): Broker & SimBroker {
  return new SimBroker(options);
}
