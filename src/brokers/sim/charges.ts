/**
 * What currency an execution's commission is paid in, and how much that is.
 *
 * IBKR's commission schedules (commissions.ts) and the US regulatory and
 * exchange fees (fee-schedule.ts) are set in USD, and for the US stocks,
 * options and futures the simulator lists IBKR charges them in USD: the
 * account's USD cash pays them whatever its base currency. FX is different:
 * IBKR computes the commission off the trade value in USD, then converts it
 * and charges it in the account's base currency
 * (https://www.interactivebrokers.com/en/index.php?f=commission&p=fx1, note 3).
 * The fill reports the currency it was charged in (`commissionCurrency`).
 */
import { Decimal } from 'decimal.js';
import type { Instrument } from './catalogue.js';
import { decimalOf } from './decimals.js';
import { financingOf } from './interest-rates.js';
import type { SimMarketData } from './market-data.js';

export interface ChargeCurrency {
  currency: string;
  /** Base currency per unit of `currency` at the execution. */
  rate: Decimal;
}

/** The currency an execution of `inst` is charged in, with its rate to the base currency at `t`. */
export function chargeCurrency(inst: Instrument, prices: SimMarketData, base: string, t: number): ChargeCurrency {
  const currency = inst.cls === 'fx' ? base : 'USD';
  return { currency, rate: decimalOf(prices.fxRate(currency, t)) };
}

/** Decimal places of a currency's smallest unit (the yen has none). */
export const minorUnits = (currency: string): number => financingOf(currency)?.minorUnits ?? 2;

/** A USD schedule amount in the charge currency, rounded to its smallest unit as IBKR books it (USD itself is left as computed). */
export function inChargeCurrency(usd: Decimal, charge: ChargeCurrency, prices: SimMarketData, t: number): Decimal {
  if (charge.currency === 'USD') return usd;
  return usd.times(decimalOf(prices.fxRate('USD', t))).dividedBy(charge.rate).toDecimalPlaces(minorUnits(charge.currency), Decimal.ROUND_HALF_UP);
}

/** USD per unit of the contract's currency at `t`: what commission caps and fees are measured against. */
export function usdPerUnit(inst: Instrument, prices: SimMarketData, t: number): Decimal {
  return decimalOf(prices.usdRate(inst.contract.currency, t));
}
