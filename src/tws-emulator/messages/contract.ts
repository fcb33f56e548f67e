/**
 * Contracts on the wire: the simulator's Contract mapped to TWS's fields, and
 * CONTRACT_DATA / CONTRACT_DATA_END as @stoqey/ib decodes them at server
 * version >= SIZE_RULES (164), where the message has no version field.
 */
import type { Contract } from '../../core/models.js';
import type { Field } from '../framing.js';
import { industryOf } from '../industries.js';
import { Msg } from '../protocol.js';

/** A contract as TWS messages carry it. */
export interface WireContract {
  conId: number;
  symbol: string;
  secType: string;
  lastTradeDateOrContractMonth: string;
  strike: number;
  right: string;
  multiplier: string;
  exchange: string;
  primaryExch: string;
  currency: string;
  localSymbol: string;
  tradingClass: string;
}

/** TWS has no ETF security type: ETFs are STK. */
const SEC_TYPE: Record<Contract['securityType'], string> = {
  STK: 'STK', ETF: 'STK', FUT: 'FUT', OPT: 'OPT', IND: 'IND', CASH: 'CASH', CFD: 'CFD', BOND: 'BOND', FUND: 'FUND', CRYPTO: 'CRYPTO',
};

/** "2026-01-16" -> "20260116"; a futures month "202603" stays as it is. */
export const toTwsDate = (expiry: string | undefined): string => (expiry ?? '').replaceAll('-', '');

export function toWire(c: Contract): WireContract {
  const isFx = c.securityType === 'CASH';
  // IBKR names an FX pair by its base currency with the quote currency as `currency`.
  const symbol = isFx ? (c.symbol.split('.')[0] ?? c.symbol) : c.symbol;
  const hasMultiplier = c.securityType === 'FUT' || c.securityType === 'OPT';
  return {
    conId: c.conId,
    symbol,
    secType: SEC_TYPE[c.securityType],
    lastTradeDateOrContractMonth: toTwsDate(c.expiry),
    strike: c.strike ?? 0,
    right: c.right ?? '',
    multiplier: hasMultiplier ? String(c.multiplier) : '',
    exchange: c.exchange,
    primaryExch: c.primaryExchange ?? '',
    currency: c.currency,
    localSymbol: c.localSymbol ?? c.symbol,
    tradingClass: c.tradingClass ?? symbol,
  };
}

const ORDER_TYPES = 'ACTIVETIM,AD,ADJUST,ALERT,ALLOC,AVGCOST,BASKET,COND,CONDORDER,DAY,DEACT,DEACTDIS,DEACTEOD,GAT,GTC,GTD,GTT,HID,IOC,LIT,LMT,MIT,MKT,MOC,NONALGO,OCA,OPG,POSTONLY,REL,SCALE,SCALERST,STP,STPLMT,TRAIL,TRAILLIT,TRAILLMT,TRAILMIT,WHATIF';

export interface ContractExtras {
  /** Session description; real gateways send "YYYYMMDD:HHMM-YYYYMMDD:HHMM;..." in the contract's time zone. */
  timeZoneId: string;
  tradingHours: string;
  liquidHours: string;
  /** One market rule id per valid exchange, in the same order. */
  marketRuleId: number;
}

export function contractDataMessage(reqId: number, c: Contract, extras: ContractExtras): Field[] {
  const w = toWire(c);
  const industry = industryOf(c.symbol, c.securityType);
  const validExchanges = w.exchange === 'SMART' && w.primaryExch ? `SMART,${w.primaryExch}` : w.exchange;
  return [
    Msg.CONTRACT_DATA,
    reqId,
    w.symbol,
    w.secType,
    w.lastTradeDateOrContractMonth,
    w.strike,
    w.right,
    w.exchange,
    w.currency,
    w.localSymbol,
    w.tradingClass, // marketName
    w.tradingClass,
    w.conId,
    c.minTick,
    w.multiplier,
    ORDER_TYPES,
    validExchanges,
    1, // priceMagnifier
    0, // underConId
    c.description ?? c.symbol, // longName
    w.primaryExch,
    // contractMonth, industry, category, subcategory
    c.securityType === 'FUT' ? w.lastTradeDateOrContractMonth.slice(0, 6) : '',
    industry.industry,
    industry.category,
    industry.subcategory,
    extras.timeZoneId,
    extras.tradingHours,
    extras.liquidHours,
    '', // evRule
    '', // evMultiplier
    0, // secIdList count
    0, // aggGroup
    c.securityType === 'OPT' || c.securityType === 'FUT' ? w.symbol : '', // underSymbol
    c.securityType === 'OPT' ? 'STK' : c.securityType === 'FUT' ? 'IND' : '', // underSecType
    validExchanges.split(',').map(() => extras.marketRuleId).join(','), // marketRuleIds, one per valid exchange
    w.lastTradeDateOrContractMonth, // realExpirationDate
    c.securityType === 'ETF' ? 'ETF' : c.securityType === 'STK' ? 'COMMON' : '', // stockType
    // minSize, sizeIncrement, suggestedSizeIncrement (SIZE_RULES)
    c.securityType === 'CASH' ? 1 : 0.0001,
    c.securityType === 'CASH' ? 1 : 0.0001,
    c.securityType === 'CASH' ? 1 : 100,
  ];
}

export const contractDataEndMessage = (reqId: number): Field[] => [Msg.CONTRACT_DATA_END, 1, reqId];

/** One SECURITY_DEFINITION_OPTION_PARAMETER row: the expirations (YYYYMMDD) and strikes an exchange lists for an underlying. */
export const secDefOptParamMessage = (reqId: number, exchange: string, underlyingConId: number, tradingClass: string, multiplier: number, expirations: string[], strikes: number[]): Field[] => [
  Msg.SECURITY_DEFINITION_OPTION_PARAMETER, reqId, exchange, underlyingConId, tradingClass, multiplier,
  expirations.length, ...expirations.map((e) => toTwsDate(e)),
  strikes.length, ...strikes,
];

export const secDefOptParamEndMessage = (reqId: number): Field[] => [Msg.SECURITY_DEFINITION_OPTION_PARAMETER_END, reqId];
