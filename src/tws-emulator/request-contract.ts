/**
 * The contract fields requests carry, read in the order @stoqey/ib's encoder
 * (and IBKR's EClient) writes them.
 */
import type { FieldReader } from './framing.js';
import type { WireContract } from './messages/contract.js';

/** A contract as a client describes it (the shape messages carry); empty strings and 0 mean "not given". */
export type RequestContract = WireContract;

export function readContract(r: FieldReader, withPrimaryExch = true): RequestContract {
  return {
    conId: r.int(),
    symbol: r.str(),
    secType: r.str().toUpperCase(),
    lastTradeDateOrContractMonth: r.str(),
    strike: r.num() ?? 0,
    right: r.str().toUpperCase(),
    multiplier: r.str(),
    exchange: r.str(),
    primaryExch: withPrimaryExch ? r.str() : '',
    currency: r.str(),
    localSymbol: r.str(),
    tradingClass: r.str(),
  };
}

/** Requests that carry the full contract with includeExpired after it (head timestamp, histogram, historical ticks). */
export function readContractWithExpired(r: FieldReader): RequestContract {
  const c = readContract(r);
  r.skip(1); // includeExpired
  return c;
}
