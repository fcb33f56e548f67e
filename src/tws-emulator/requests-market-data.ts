/**
 * Parsers for the market data requests beyond quotes and bars: head
 * timestamp, histogram, historical ticks, tick-by-tick, market depth,
 * real-time bars and scanner subscriptions, field by field as @stoqey/ib's
 * encoder writes them at server versions 176..178.
 */
import type { FieldReader } from './framing.js';
import { readContract, readContractWithExpired, type RequestContract } from './request-contract.js';

export function parseHeadTimestamp(r: FieldReader): { reqId: number; contract: RequestContract; useRth: boolean; whatToShow: string; formatDate: number } {
  const reqId = r.int();
  const contract = readContractWithExpired(r);
  return { reqId, contract, useRth: r.bool(), whatToShow: r.str().toUpperCase(), formatDate: r.int() };
}

export function parseHistogram(r: FieldReader): { reqId: number; contract: RequestContract; useRth: boolean; period: string } {
  const reqId = r.int();
  const contract = readContractWithExpired(r);
  return { reqId, contract, useRth: r.bool(), period: r.str() };
}

export interface HistoricalTicksRequest {
  reqId: number;
  contract: RequestContract;
  start: string;
  end: string;
  numberOfTicks: number;
  whatToShow: string;
  useRth: boolean;
}

export function parseHistoricalTicks(r: FieldReader): HistoricalTicksRequest {
  const reqId = r.int();
  const contract = readContractWithExpired(r);
  const start = r.str();
  const end = r.str();
  const numberOfTicks = r.int();
  const whatToShow = r.str().toUpperCase();
  const useRth = r.bool();
  r.skip(2); // ignoreSize, miscOptions
  return { reqId, contract, start, end, numberOfTicks, whatToShow, useRth };
}

/** REQ_TICK_BY_TICK_DATA: the contract without includeExpired, the tick type name, then numberOfTicks and ignoreSize (>= 140). */
export function parseTickByTick(r: FieldReader): { reqId: number; contract: RequestContract; tickType: string; numberOfTicks: number } {
  const reqId = r.int();
  const contract = readContract(r);
  const tickType = r.str();
  const numberOfTicks = r.int();
  r.skip(1); // ignoreSize
  return { reqId, contract, tickType, numberOfTicks };
}

/** REQ_MKT_DEPTH version 5: reqId, contract (with primaryExch), numRows, isSmartDepth, options. */
export function parseMktDepth(r: FieldReader): { reqId: number; contract: RequestContract; numRows: number; smartDepth: boolean } {
  r.skip(1);
  const reqId = r.int();
  const contract = readContract(r);
  return { reqId, contract, numRows: r.int(), smartDepth: r.bool() };
}

/** REQ_REAL_TIME_BARS version 3: reqId, contract, barSize (ignored: always 5 s), whatToShow, useRTH, options. */
export function parseRealTimeBars(r: FieldReader): { reqId: number; contract: RequestContract; whatToShow: string; useRth: boolean } {
  r.skip(1);
  const reqId = r.int();
  const contract = readContract(r);
  r.skip(1); // barSize
  return { reqId, contract, whatToShow: r.str().toUpperCase(), useRth: r.bool() };
}

export interface ScannerSubscriptionRequest {
  reqId: number;
  numberOfRows: number | null;
  instrument: string;
  locationCode: string;
  scanCode: string;
  abovePrice: number | null;
  belowPrice: number | null;
  aboveVolume: number | null;
}

/** REQ_SCANNER_SUBSCRIPTION at >= SCANNER_GENERIC_OPTS (143): no version field; the filters after aboveVolume are not used by the simulator's scans. */
export function parseScannerSubscription(r: FieldReader): ScannerSubscriptionRequest {
  const reqId = r.int();
  const numberOfRows = r.intOrNull();
  const instrument = r.str().toUpperCase();
  const locationCode = r.str().toUpperCase();
  const scanCode = r.str().toUpperCase();
  const abovePrice = r.num();
  const belowPrice = r.num();
  const aboveVolume = r.intOrNull();
  return { reqId, numberOfRows, instrument, locationCode, scanCode, abovePrice, belowPrice, aboveVolume };
}
