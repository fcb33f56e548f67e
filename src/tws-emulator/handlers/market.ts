/**
 * Contract details, current time, market data (streaming, snapshot, market
 * data type) and historical bars.
 */
import type { BarSize, Contract, Duration, Quote, WhatToShow } from '../../core/models.js';
import type { BarsQuery } from '../../core/broker/port.js';
import { BarSize as BarSizeSchema, Duration as DurationSchema } from '../../core/models.js';
import { currentTimeMessage } from '../messages/account.js';
import { contractDataEndMessage, contractDataMessage, secDefOptParamEndMessage, secDefOptParamMessage, type ContractExtras } from '../messages/contract.js';
import { historicalDataMessage } from '../messages/historical.js';
import { marketDataTypeMessage, optionComputationMessage, quoteTicks, tickSnapshotEndMessage, type OptionComputation } from '../messages/market-data.js';
import { Err, MarketDataKind, Req, Tick } from '../protocol.js';
import { parseContractDetails, parseHistorical, parseMktData, parseSecDefOptParams, parseTwsTime, type RequestContract } from '../requests.js';
import type { Handler, Session } from '../session.js';
import { marketRuleId, tradingHours } from '../trading-hours.js';
import { DERIVED_KINDS, derivedBars, NO_DATA_KINDS, NoDataError } from '../historical-kinds.js';

function extras(c: Contract, nowMs: number): ContractExtras {
  return { ...tradingHours(c, nowMs), marketRuleId: marketRuleId(c) };
}

const contractDetails: Handler = async (s, r) => {
  const { reqId, contract } = parseContractDetails(r);
  const found = await s.shared.contracts.resolveAll(contract);
  if (found.length === 0) {
    s.error(reqId, Err.NO_SECURITY.code, Err.NO_SECURITY.text);
    return;
  }
  for (const c of found) s.send(contractDataMessage(reqId, c, extras(c, s.shared.clock.now())));
  s.send(contractDataEndMessage(reqId));
};

/** A contract described by symbol and security type only (and a conId when known). */
const bare = (symbol: string, secType: string, conId = 0): RequestContract => ({
  conId, symbol, secType, lastTradeDateOrContractMonth: '', strike: 0, right: '', multiplier: '', exchange: '', primaryExch: '', currency: '', localSymbol: '', tradingClass: '',
});

/**
 * reqSecDefOptParams: the simulator's listed expirations and strikes for an
 * underlying, as one SMART row; an underlying without options gets only the
 * End, as from a gateway.
 */
const secDefOptParams: Handler = async (s, r) => {
  const q = parseSecDefOptParams(r);
  const known = q.conId > 0 ? s.shared.contracts.byId(q.conId) : undefined;
  const underlying = known ?? (await s.shared.contracts.resolveAll(bare(q.symbol, q.secType === '' ? 'STK' : q.secType, q.conId)))[0];
  if (underlying) {
    const chain = await s.shared.broker.getOptionChain(underlying, { strikesAroundSpot: 1 }).catch(() => null);
    if (chain && chain.expirations.length > 0) {
      s.send(secDefOptParamMessage(q.reqId, chain.exchange, underlying.conId, underlying.symbol, chain.multiplier, chain.expirations, chain.strikes));
    }
  }
  s.send(secDefOptParamEndMessage(q.reqId));
};

/** The simulator's model values for one option (its chain row), as a gateway's model option computation tick carries them. */
async function optionModel(s: Session, c: Contract, quote: Quote): Promise<OptionComputation | null> {
  if (c.securityType !== 'OPT' || !c.expiry) return null;
  const broker = s.shared.broker;
  let underlying: Contract | undefined;
  // ETFs are their own security type in the simulator; without them an ETF option's snapshot had no model tick.
  for (const securityType of ['STK', 'ETF', 'IND'] as const) {
    underlying = (await broker.resolveContracts({ symbol: c.symbol, securityType }).catch(() => []))[0];
    if (underlying) break;
  }
  if (!underlying) return null;
  // Every listed strike, so the row is found wherever the option sits relative to spot.
  const chain = await broker.getOptionChain(underlying, { expiry: c.expiry, strikesAroundSpot: 10_000 }).catch(() => null);
  const row = chain?.options.find((o) => o.conId === c.conId);
  if (!chain || !row) return null;
  const mid = quote.bid !== null && quote.ask !== null ? (quote.bid + quote.ask) / 2 : quote.last;
  return { impliedVolatility: row.impliedVolatility, delta: row.delta, optPrice: mid, gamma: row.gamma, vega: row.vega, theta: row.theta, undPrice: chain.underlyingPrice };
}

const currentTime: Handler = (s) => {
  s.send(currentTimeMessage(Math.floor(s.shared.clock.now() / 1000)));
};

const marketDataType: Handler = (s, r) => {
  r.skip(1);
  const kind = r.int();
  if (kind >= MarketDataKind.REALTIME && kind <= MarketDataKind.DELAYED_FROZEN) s.marketDataType = kind;
};

/** Which kind of data a request gets: real time unless the delayed-data fault is on. */
function dataKind(s: Session, reqId: number): number | null {
  if (!s.shared.faults.forceDelayed) return MarketDataKind.REALTIME;
  if (s.marketDataType === MarketDataKind.DELAYED || s.marketDataType === MarketDataKind.DELAYED_FROZEN) {
    s.error(reqId, Err.DELAYED_DATA.code, Err.DELAYED_DATA.text);
    return MarketDataKind.DELAYED;
  }
  // A client that did not ask for delayed data gets none, as with a real account lacking the subscription.
  s.error(reqId, Err.MARKET_DATA_NOT_SUBSCRIBED.code, Err.MARKET_DATA_NOT_SUBSCRIBED.text);
  return null;
}

const mktData: Handler = async (s, r) => {
  const req = parseMktData(r);
  const { reqId } = req;
  if (s.market.has(reqId)) {
    s.error(reqId, Err.DUPLICATE_TICKER.code, `${Err.DUPLICATE_TICKER.text} ${reqId}`);
    return;
  }
  const contract = await s.shared.contracts.resolveOne(req.contract);
  if (!contract) {
    s.error(reqId, Err.NO_SECURITY.code, Err.NO_SECURITY.text);
    return;
  }
  if (req.snapshot || req.regulatorySnapshot) {
    const kind = dataKind(s, reqId);
    if (kind === null) return;
    const quote = await s.shared.broker.getQuote(contract);
    s.send(marketDataTypeMessage(reqId, kind));
    for (const m of quoteTicks(reqId, quote, kind, null)) s.send(m);
    const model = await optionModel(s, contract, quote);
    if (model) s.send(optionComputationMessage(reqId, kind === MarketDataKind.REALTIME ? Tick.MODEL_OPTION : Tick.DELAYED_MODEL_OPTION, model));
    s.send(tickSnapshotEndMessage(reqId));
    return;
  }
  if (s.shared.marketDataLines >= s.shared.maxMarketDataLines) {
    s.error(reqId, Err.MAX_TICKERS.code, Err.MAX_TICKERS.text);
    return;
  }
  const kind = dataKind(s, reqId);
  if (kind === null) return;
  s.send(marketDataTypeMessage(reqId, kind));
  const sub: { unsubscribe: () => void; last: Quote | null; kind: number } = { unsubscribe: () => undefined, last: null, kind };
  s.market.set(reqId, sub);
  s.shared.marketDataLines += 1;
  sub.unsubscribe = s.shared.broker.subscribeQuotes(contract, (quote) => {
    if (s.market.get(reqId) !== sub) return;
    for (const m of quoteTicks(reqId, quote, sub.kind, sub.last)) s.send(m);
    sub.last = quote;
  });
};

const cancelMktData: Handler = (s, r) => {
  r.skip(1);
  const reqId = r.int();
  // Cancelling an unknown ticker is silently accepted by real gateways too; nothing to answer.
  s.cancelMarketData(reqId);
};

const WHAT_TO_SHOW = new Set<WhatToShow>(['TRADES', 'MIDPOINT', 'BID', 'ASK']);

const historical: Handler = async (s, r) => {
  const h = parseHistorical(r);
  const { reqId } = h;
  if (h.keepUpToDate && h.endDateTime !== '') {
    s.error(reqId, Err.VALIDATION.code, `${Err.VALIDATION.text}'bB' : cause - End date not supported with live updates`);
    return;
  }
  const barSize = BarSizeSchema.safeParse(normaliseBarSize(h.barSize));
  const duration = DurationSchema.safeParse(h.duration);
  const derived = DERIVED_KINDS.has(h.whatToShow);
  if (!barSize.success || !duration.success || !(WHAT_TO_SHOW.has(h.whatToShow as WhatToShow) || derived || NO_DATA_KINDS.has(h.whatToShow))) {
    const what = !barSize.success ? `bar size ${h.barSize}` : !duration.success ? `duration ${h.duration}` : `whatToShow ${h.whatToShow}`;
    s.error(reqId, Err.HISTORICAL_SERVICE.code, `${Err.HISTORICAL_SERVICE.text}Historical data request is invalid: ${what} is not supported`);
    return;
  }
  const contract = await s.shared.contracts.resolveOne(h.contract);
  if (!contract) {
    s.error(reqId, Err.NO_SECURITY.code, Err.NO_SECURITY.text);
    return;
  }
  const violation = s.shared.historicalPacer.check({
    identity: [contract.conId, h.endDateTime, h.duration, h.barSize, h.whatToShow, h.useRth].join('|'),
    contract: [contract.conId, contract.exchange, h.whatToShow].join('|'),
  });
  if (violation) {
    s.error(reqId, Err.HISTORICAL_SERVICE.code, `${Err.HISTORICAL_SERVICE.text}Historical data request pacing violation (${violation})`);
    return;
  }
  const endMs = h.endDateTime === '' ? s.shared.clock.now() : parseTwsTime(h.endDateTime);
  if (endMs === null) {
    s.error(reqId, Err.VALIDATION.code, `${Err.VALIDATION.text}'bB' : cause - invalid end date/time ${h.endDateTime}`);
    return;
  }
  // Computed off the session's queue, as a gateway serves history while it reads further requests:
  // a cancelHistoricalData sent meanwhile is handled at once and aborts the computation (the
  // simulator stops between slices of a long history).
  const work = new AbortController();
  s.historical.set(reqId, work);
  const query = { barSize: barSize.data as BarSize, duration: duration.data as Duration, useRth: h.useRth, endTime: new Date(endMs).toISOString(), signal: work.signal };
  void serveBars(s, reqId, work, contract, h.whatToShow, query, endMs, h.formatDate);
};

async function serveBars(s: Session, reqId: number, work: AbortController, contract: Contract, whatToShow: string, query: Omit<BarsQuery, 'whatToShow'>, endMs: number, formatDate: number): Promise<void> {
  let bars;
  try {
    if (NO_DATA_KINDS.has(whatToShow)) throw new NoDataError(`HMDS query returned no data: no ${whatToShow} data for ${contract.symbol}`);
    bars = DERIVED_KINDS.has(whatToShow)
      ? await derivedBars(s.shared.broker, contract, whatToShow, query, s.shared.clock.now())
      : await s.shared.broker.getHistoricalBars(contract, { ...query, whatToShow: whatToShow as WhatToShow });
  } catch (err) {
    // Cancelled: IBKR sends nothing more for the request, not even an error.
    if (s.historical.get(reqId) !== work) return;
    s.historical.delete(reqId);
    s.error(reqId, Err.HISTORICAL_SERVICE.code, `${Err.HISTORICAL_SERVICE.text}${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  // A cancel that arrived while the bars were computed wins, as with a gateway.
  if (s.historical.get(reqId) !== work) return;
  s.historical.delete(reqId);
  const daily = /day|week|month/.test(query.barSize);
  const startMs = bars.length > 0 ? Date.parse(bars[0]?.time ?? '') : endMs;
  // Weekly and monthly bars come labelled by their last session (holidays included), as IBKR labels them.
  s.send(historicalDataMessage(reqId, bars, { startMs, endMs }, daily, formatDate));
}

/** Clients write "1 hour" and "1 hours", "1 day" and "1 days"; the simulator knows one spelling of each. */
function normaliseBarSize(s: string): string {
  const m = /^(\d+)\s+(\w+)$/.exec(s.trim().toLowerCase());
  if (!m) return s;
  const n = Number(m[1]);
  const unit = (m[2] ?? '').replace(/s$/, '');
  if (unit === 'sec') return `${n} secs`;
  if (unit === 'min') return n === 1 ? '1 min' : `${n} mins`;
  if (unit === 'hour') return n === 1 ? '1 hour' : `${n} hours`;
  if (unit === 'day' || unit === 'week' || unit === 'month') return `${n} ${unit}`;
  return s;
}

const cancelHistorical: Handler = (s, r) => {
  r.skip(1);
  const reqId = r.int();
  s.historical.get(reqId)?.abort(new Error(`historical request ${reqId} cancelled by the client`));
  s.historical.delete(reqId);
};

export const marketHandlers: [number, Handler][] = [
  [Req.CONTRACT_DATA, contractDetails],
  [Req.SEC_DEF_OPT_PARAMS, secDefOptParams],
  [Req.CURRENT_TIME, currentTime],
  [Req.MARKET_DATA_TYPE, marketDataType],
  [Req.MKT_DATA, mktData],
  [Req.CANCEL_MKT_DATA, cancelMktData],
  [Req.HISTORICAL_DATA, historical],
  [Req.CANCEL_HISTORICAL_DATA, cancelHistorical],
];
