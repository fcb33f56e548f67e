/** Market data tools: quote, historical bars, option chain, contract lookup. All read-only. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { Bar, Contract, HistoricalRequest, OptionChain, OptionChainQuery, Quote, SymbolSpec } from '../../core/models.js';
import { guard, num, ok } from '../results.js';
import { READ_ONLY, type ToolContext } from './context.js';

const HistoricalResult = z.object({
  symbol: z.string(),
  barSize: z.string(),
  duration: z.string(),
  bars: z.array(Bar),
});

export function registerMarketTools(server: McpServer, { api }: ToolContext): void {
  server.registerTool(
    'get_quote',
    {
      title: 'Get quote',
      description:
        'Current quote snapshot for one instrument: bid/ask (with sizes), last, day open/high/low, previous close (close) and volume. ' +
        'Prices are in the instrument currency; sizes in shares/contracts. A field is null when the market does not provide it (e.g. no bid outside hours). ' +
        'source says whether it is SIMULATED, IBKR_REALTIME, IBKR_DELAYED (about 15 minutes old) or IBKR_FROZEN (last value while closed). ' +
        'securityType defaults to STK: use ETF for ETFs like SPY, FUT for futures (ES), CASH for FX (EUR.USD), IND for indices. ' +
        'Next: preview_order to see what a trade would cost.',
      inputSchema: SymbolSpec,
      outputSchema: Quote,
      annotations: { title: 'Get quote', ...READ_ONLY },
    },
    (args, extra) =>
      guard(async () => {
        const q = await api.request(Quote, { method: 'GET', path: '/api/market/quote', query: args, signal: extra.signal });
        return ok(
          q,
          `${q.symbol}: last ${num(q.last)}, bid ${num(q.bid)} x ${num(q.bidSize)}, ask ${num(q.ask)} x ${num(q.askSize)}; ` +
            `day open ${num(q.open)} high ${num(q.high)} low ${num(q.low)}, prev close ${num(q.close)}, volume ${num(q.volume)} (${q.source}, ${q.timestamp})`,
        );
      }),
  );

  server.registerTool(
    'get_historical_data',
    {
      title: 'Get historical bars',
      description:
        'OHLCV bars for one instrument, oldest first. barSize is the length of one bar ("1 min" ... "1 day", "1 week", "1 month"; default "1 day"); ' +
        'duration is how far back from endTime (now by default): "<n> S|D|W|M|Y", e.g. "1 D", "2 W", "1 M" (default), "1 Y". ' +
        "IBKR's limits apply: at most 1800 S of 1 secs bars, 1 D of 1 min, 2 D of 2 mins, 1 W of 3-20 mins, 1 M of 30 mins-8 hours, 1 Y of 1 day/1 week/1 month; " +
        'longer is refused with HISTORY_DURATION_TOO_LONG (details.maxDuration names the limit). ' +
        'useRth=true (default) keeps regular trading hours only. Prices in the instrument currency, volume in shares/contracts.',
      inputSchema: HistoricalRequest,
      outputSchema: HistoricalResult,
      annotations: { title: 'Get historical bars', ...READ_ONLY },
    },
    (args, extra) =>
      guard(async () => {
        const bars = await api.request(z.array(Bar), { method: 'GET', path: '/api/market/historical', query: args, signal: extra.signal });
        const first = bars[0];
        const last = bars[bars.length - 1];
        const range =
          first && last
            ? `from ${first.time} to ${last.time}; last close ${num(last.close)}, high ${num(Math.max(...bars.map((b) => b.high)))}, low ${num(Math.min(...bars.map((b) => b.low)))}`
            : 'no bars in that window';
        return ok({ symbol: args.symbol, barSize: args.barSize, duration: args.duration, bars }, `${args.symbol}: ${bars.length} bars of ${args.barSize} over ${args.duration}, ${range}`);
      }),
  );

  server.registerTool(
    'get_option_chain',
    {
      title: 'Get option chain',
      description:
        'Option expirations and strikes for an underlying, with the strikesAroundSpot strikes on each side of the current price priced ' +
        '(bid/ask/last, implied volatility, delta, gamma, theta per day, vega per 1 vol point) for one expiry (the nearest unless expiry is given). ' +
        'Prices are per share; one contract is multiplier (usually 100) shares. To trade one, use preview_order with securityType OPT, expiry, strike and right.',
      inputSchema: OptionChainQuery,
      outputSchema: OptionChain,
      annotations: { title: 'Get option chain', ...READ_ONLY },
    },
    (args, extra) =>
      guard(async () => {
        const c = await api.request(OptionChain, { method: 'GET', path: '/api/market/option-chain', query: args, signal: extra.signal });
        const expiries = [...new Set(c.options.map((o) => o.expiry))];
        return ok(
          c,
          `${c.underlying} options on ${c.exchange}: spot ${num(c.underlyingPrice)}, multiplier ${c.multiplier}, ${c.expirations.length} expirations ` +
            `(${c.expirations.slice(0, 4).join(', ')}${c.expirations.length > 4 ? ', ...' : ''}), ${c.strikes.length} strikes; ` +
            `${c.options.length} priced options for ${expiries.join(', ') || 'no expiry'}.`,
        );
      }),
  );

  server.registerTool(
    'resolve_contract',
    {
      title: 'Resolve contract',
      description:
        'Turns a symbol (plus securityType, exchange, currency, expiry, strike, right as needed) into exactly one IBKR contract: conId, exchange, ' +
        'currency, multiplier and minimum tick (limit and stop prices must be multiples of minTick). ' +
        'CONTRACT_AMBIGUOUS lists candidates: add the field that tells them apart.',
      inputSchema: SymbolSpec,
      outputSchema: Contract,
      annotations: { title: 'Resolve contract', ...READ_ONLY },
    },
    (args, extra) =>
      guard(async () => {
        const c = await api.request(Contract, { method: 'GET', path: '/api/contracts/resolve', query: args, signal: extra.signal });
        const option = c.securityType === 'OPT' ? ` ${c.expiry ?? ''} ${c.strike ?? ''} ${c.right ?? ''}` : c.securityType === 'FUT' ? ` ${c.expiry ?? ''}` : '';
        return ok(
          c,
          `${c.symbol}${option}: ${c.securityType} on ${c.exchange}${c.primaryExchange ? ` (${c.primaryExchange})` : ''}, ${c.currency}, conId ${c.conId}, ` +
            `multiplier ${c.multiplier}, min tick ${c.minTick}${c.description ? ` - ${c.description}` : ''}`,
        );
      }),
  );
}
