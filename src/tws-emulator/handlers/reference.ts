/**
 * Reference data a paper IB Gateway answers for any account: symbol search
 * over the listed instruments, market rules, news providers (none: the
 * simulator has no news), historical news (an empty end), user info, family
 * codes, soft-dollar tiers, SMART's component exchanges, market depth
 * exchanges; and the Wall Street Horizon calendar, which a paper account
 * without the subscription is refused with 10276.
 */
import type { Contract } from '../../core/models.js';
import { toWire } from '../messages/contract.js';
import {
  familyCodesMessage,
  historicalNewsEndMessage,
  marketRuleMessage,
  mktDepthExchangesMessage,
  newsProvidersMessage,
  smartComponentsMessage,
  softDollarTiersMessage,
  symbolSamplesMessage,
  userInfoMessage,
  type SymbolSample,
} from '../messages/reference.js';
import { Err, NO_ID, Req } from '../protocol.js';
import type { Handler, Session } from '../session.js';
import { marketRule } from '../trading-hours.js';

/** IBKR returns at most this many symbol samples. */
const MAX_SAMPLES = 16;

/** The exchanges behind the simulator's SMART routing (bit number, exchange, the letter tick exchanges carry). */
const SMART_COMPONENTS = [
  { bit: 0, exchange: 'NYSE', letter: 'N' },
  { bit: 1, exchange: 'NASDAQ', letter: 'Q' },
  { bit: 2, exchange: 'ARCA', letter: 'P' },
  { bit: 3, exchange: 'BATS', letter: 'Z' },
  { bit: 4, exchange: 'IEX', letter: 'V' },
];

/** Depth the simulated book offers: SMART aggregated depth for stocks, plus the venues it routes to. */
const DEPTH_EXCHANGES = [
  { exchange: 'SMART', secType: 'STK', listingExch: '', serviceDataType: 'Deep2', aggGroup: 1 },
  { exchange: 'NASDAQ', secType: 'STK', listingExch: 'NASDAQ', serviceDataType: 'Deep2', aggGroup: 1 },
  { exchange: 'NYSE', secType: 'STK', listingExch: 'NYSE', serviceDataType: 'Deep', aggGroup: 1 },
  { exchange: 'ARCA', secType: 'STK', listingExch: 'ARCA', serviceDataType: 'Deep2', aggGroup: 1 },
  { exchange: 'CME', secType: 'FUT', listingExch: 'CME', serviceDataType: 'Deep2', aggGroup: 2 },
  { exchange: 'IDEALPRO', secType: 'CASH', listingExch: '', serviceDataType: 'Deep', aggGroup: 4 },
];

/** Symbols first (exact, then prefix), then names containing the pattern, as IBKR ranks its symbol search. */
function matches(universe: readonly Contract[], pattern: string): Contract[] {
  const p = pattern.trim().toUpperCase();
  if (p === '') return [];
  const rank = (c: Contract): number => {
    const symbol = c.symbol.toUpperCase();
    if (symbol === p) return 0;
    if (symbol.startsWith(p)) return 1;
    if ((c.description ?? '').toUpperCase().includes(p)) return 2;
    return -1;
  };
  return universe
    .map((c) => ({ c, r: rank(c) }))
    .filter((x) => x.r >= 0)
    .sort((a, b) => a.r - b.r || a.c.symbol.localeCompare(b.c.symbol))
    .slice(0, MAX_SAMPLES)
    .map((x) => x.c);
}

/** OPT when the simulator lists options on the instrument. */
async function derivatives(s: Session, c: Contract): Promise<string[]> {
  if (c.securityType !== 'STK' && c.securityType !== 'ETF' && c.securityType !== 'IND') return [];
  const chain = await s.shared.broker.getOptionChain(c, { strikesAroundSpot: 1 }).catch(() => null);
  return chain && chain.expirations.length > 0 ? ['OPT'] : [];
}

const matchingSymbols: Handler = async (s, r) => {
  const reqId = r.int();
  const pattern = r.str();
  const samples: SymbolSample[] = [];
  for (const c of matches(s.shared.universe, pattern)) {
    const w = toWire(c);
    samples.push({ conId: c.conId, symbol: w.symbol, secType: w.secType, primaryExch: w.primaryExch || w.exchange, currency: c.currency, derivativeSecTypes: await derivatives(s, c), description: c.description ?? '' });
  }
  s.send(symbolSamplesMessage(reqId, samples));
};

const marketRuleRequest: Handler = (s, r) => {
  const ruleId = r.int();
  const increments = marketRule(ruleId);
  if (increments) s.send(marketRuleMessage(ruleId, increments));
  else s.error(NO_ID, Err.VALIDATION.code, `${Err.VALIDATION.text}'bH' : cause - Invalid market rule id ${ruleId}`);
};

const newsProviders: Handler = (s) => {
  s.send(newsProvidersMessage([]));
};

const historicalNews: Handler = (s, r) => {
  s.send(historicalNewsEndMessage(r.int(), false));
};

const wshRefused: Handler = (s, r) => {
  s.error(r.int(), Err.NEWS_FEED_NOT_ALLOWED.code, Err.NEWS_FEED_NOT_ALLOWED.text);
};

const userInfo: Handler = (s, r) => {
  // A direct IBKR account has no white-branding id.
  s.send(userInfoMessage(r.int(), ''));
};

const familyCodes: Handler = (s) => {
  // An individual account belongs to no family: its code is empty.
  s.send(familyCodesMessage(s.shared.accounts().map((accountId) => ({ accountId, familyCode: '' }))));
};

const softDollarTiers: Handler = (s, r) => {
  s.send(softDollarTiersMessage(r.int(), []));
};

const smartComponents: Handler = (s, r) => {
  s.send(smartComponentsMessage(r.int(), SMART_COMPONENTS));
};

const mktDepthExchanges: Handler = (s) => {
  s.send(mktDepthExchangesMessage(DEPTH_EXCHANGES));
};

/** Cancels of requests answered at once: nothing is left to stop. */
const nothingToCancel: Handler = () => undefined;

export const referenceHandlers: [number, Handler][] = [
  [Req.MATCHING_SYMBOLS, matchingSymbols],
  [Req.MARKET_RULE, marketRuleRequest],
  [Req.NEWS_PROVIDERS, newsProviders],
  [Req.HISTORICAL_NEWS, historicalNews],
  [Req.WSH_META_DATA, wshRefused],
  [Req.CANCEL_WSH_META_DATA, nothingToCancel],
  [Req.WSH_EVENT_DATA, wshRefused],
  [Req.CANCEL_WSH_EVENT_DATA, nothingToCancel],
  [Req.USER_INFO, userInfo],
  [Req.FAMILY_CODES, familyCodes],
  [Req.SOFT_DOLLAR_TIERS, softDollarTiers],
  [Req.SMART_COMPONENTS, smartComponents],
  [Req.MKT_DEPTH_EXCHANGES, mktDepthExchanges],
];
