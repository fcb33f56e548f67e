/**
 * The embedded simulated broker (BROKER=sim, the default).
 *
 * `createSimBroker` returns a Broker over a deterministic market (SIM_SEED), a
 * matching engine and a persisted paper account in `${dataDir}/sim.db`;
 * `resetSimAccount` starts that account afresh (`ibkr-gateway sim reset`).
 *
 * Modules, the model: catalogue (instruments, real conIds), instruments
 * (contract resolution), sessions (New York hours, SIM_SESSION), price-path
 * (the seeded random path per instrument), market (touch, volume, bars and
 * quotes read from it), bar-requests (IBKR's duration and bar
 * size rules), options (Black-Scholes, listings), matching (how an order meets
 * the book), commissions (IBKR Pro Fixed), ledger (cash, positions, P&L, Reg T
 * margin), store (SQLite), account-lock (one owner per account).
 * The broker built on it: broker (the Broker and its connection), state (what
 * the parts share), market-data (quotes, bars, option chains, FX), valuation
 * (account summary, positions, daily P&L), margin (what-if, buying power),
 * order-book (admission, cancel, order queries), matching-loop (the
 * clock-driven evaluation of working orders), settlement (what a fill or an
 * ending order implies: ledger, brackets, OCA; one transaction each), recovery
 * (start-up repair of what a crash under older versions left half-done).
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
