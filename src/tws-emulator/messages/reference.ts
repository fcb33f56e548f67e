/**
 * Reference-data messages (no version field unless noted), as @stoqey/ib's
 * decoder reads them at server versions 176..178: symbol samples, market
 * rules, news providers and historical news end, user info, family codes,
 * soft-dollar tiers, smart components, market depth exchanges, scanner
 * parameters and scanner data.
 */
import type { Field } from '../framing.js';
import { Msg } from '../protocol.js';
import type { WireContract } from './contract.js';

export interface SymbolSample {
  conId: number;
  symbol: string;
  secType: string;
  primaryExch: string;
  currency: string;
  derivativeSecTypes: string[];
  description: string;
}

/** SYMBOL_SAMPLES with description and issuerId (BOND_ISSUERID, 176). */
export function symbolSamplesMessage(reqId: number, samples: readonly SymbolSample[]): Field[] {
  const f: Field[] = [Msg.SYMBOL_SAMPLES, reqId, samples.length];
  for (const s of samples) f.push(s.conId, s.symbol, s.secType, s.primaryExch, s.currency, s.derivativeSecTypes.length, ...s.derivativeSecTypes, s.description, '');
  return f;
}

export function marketRuleMessage(ruleId: number, increments: readonly { lowEdge: number; increment: number }[]): Field[] {
  const f: Field[] = [Msg.MARKET_RULE, ruleId, increments.length];
  for (const i of increments) f.push(i.lowEdge, i.increment);
  return f;
}

export const newsProvidersMessage = (providers: readonly { code: string; name: string }[]): Field[] => [Msg.NEWS_PROVIDERS, providers.length, ...providers.flatMap((p) => [p.code, p.name])];
export const historicalNewsEndMessage = (reqId: number, hasMore: boolean): Field[] => [Msg.HISTORICAL_NEWS_END, reqId, hasMore];
export const userInfoMessage = (reqId: number, whiteBrandingId: string): Field[] => [Msg.USER_INFO, reqId, whiteBrandingId];
export const familyCodesMessage = (codes: readonly { accountId: string; familyCode: string }[]): Field[] => [Msg.FAMILY_CODES, codes.length, ...codes.flatMap((c) => [c.accountId, c.familyCode])];
export const softDollarTiersMessage = (reqId: number, tiers: readonly { name: string; value: string; displayName: string }[]): Field[] => [
  Msg.SOFT_DOLLAR_TIERS, reqId, tiers.length, ...tiers.flatMap((t) => [t.name, t.value, t.displayName]),
];
export const smartComponentsMessage = (reqId: number, components: readonly { bit: number; exchange: string; letter: string }[]): Field[] => [
  Msg.SMART_COMPONENTS, reqId, components.length, ...components.flatMap((c) => [c.bit, c.exchange, c.letter]),
];

/** MKT_DEPTH_EXCHANGES with listing exchange, service data type and aggregation group (SERVICE_DATA_TYPE, 120). */
export const mktDepthExchangesMessage = (rows: readonly { exchange: string; secType: string; listingExch: string; serviceDataType: string; aggGroup: number }[]): Field[] => [
  Msg.MKT_DEPTH_EXCHANGES, rows.length, ...rows.flatMap((r) => [r.exchange, r.secType, r.listingExch, r.serviceDataType, r.aggGroup]),
];

export const scannerParametersMessage = (xml: string): Field[] => [Msg.SCANNER_PARAMETERS, 1, xml];

/** SCANNER_DATA version 3 (with conId and combo legs description); the decoder emits scannerDataEnd after the rows. */
export function scannerDataMessage(reqId: number, rows: readonly { rank: number; contract: WireContract }[]): Field[] {
  const f: Field[] = [Msg.SCANNER_DATA, 3, reqId, rows.length];
  for (const { rank, contract: c } of rows) {
    f.push(rank, c.conId, c.symbol, c.secType, c.lastTradeDateOrContractMonth, c.strike, c.right, c.exchange, c.currency, c.localSymbol, c.tradingClass, c.tradingClass, '', '', '', '');
  }
  return f;
}
