/** `quote SYMBOL...` and `bars SYMBOL`: market data in the terminal. */
import type { Command } from 'commander';
import type { Contract } from '../../core/models.js';
import { printJson, printTable, sparkChart, withSpinner } from '../output.js';
import { withClient } from '../run.js';
import { addSchemaFields, inputFrom } from '../schema-options.js';
import { BARS_FIELDS, QUOTE_FIELDS } from './spec-fields.js';

export function registerMarketCommands(program: Command): void {
  addSchemaFields(program.command('quote').description('Quote snapshot for one or more symbols').argument('<symbols...>', 'symbols, e.g. AAPL MSFT'), QUOTE_FIELDS)
    .option('--json', 'print JSON')
    .action(async (symbols: string[], o: Record<string, unknown> & { json?: boolean }) =>
      withClient(
        async (client, io) => {
          const specs = symbols.map((symbol) => ({ ...inputFrom(QUOTE_FIELDS, [], o), symbol }));
          const quotes = await Promise.all(specs.map((spec) => client.getQuote(spec)));
          if (o.json) return printJson(io, quotes);
          // A quote names only its underlying symbol: a derivative's row is labelled from its contract (expiry, strike, right).
          const labels = await Promise.all(specs.map(async (spec, i) => (isDerivative(spec.securityType) ? contractLabel(await client.resolveContract(spec)) : (quotes[i]?.symbol ?? spec.symbol))));
          printTable(
            io,
            ['symbol', 'bid', 'ask', 'last', 'bidSize', 'askSize', 'volume', 'time'],
            quotes.map((q, i) => [labels[i] ?? q.symbol, q.bid, q.ask, q.last, q.bidSize, q.askSize, q.volume, q.timestamp]),
          );
        },
        { json: o.json },
      ),
    );

  addSchemaFields(program.command('bars').description('Historical bars, with a small chart of closes'), BARS_FIELDS)
    .option('--json', 'print JSON')
    .action(async (symbol: string, o: Record<string, unknown> & { json?: boolean }) =>
      withClient(
        async (client, io) => {
          const request = inputFrom(BARS_FIELDS, [symbol], o);
          const bars = await withSpinner(io, `fetching ${request.duration ?? ''} of ${request.barSize ?? ''} bars`, () => client.getBars(request));
          if (o.json) return printJson(io, bars);
          for (const line of sparkChart(bars.map((b) => b.close))) io.stdout.write(`${line}\n`);
          printTable(io, ['time', 'open', 'high', 'low', 'close', 'volume'], bars.slice(-10).map((b) => [b.time, b.open, b.high, b.low, b.close, b.volume]));
          if (bars.length > 10) io.stdout.write(`(last 10 of ${bars.length} bars; --json for all)\n`);
        },
        { json: o.json },
      ),
    );
}

const isDerivative = (securityType: unknown): boolean => typeof securityType === 'string' && ['OPT', 'FUT'].includes(securityType.toUpperCase());

/** `AAPL 2026-12-18 175 C`, `ES 2026-12-18`: what distinguishes one derivative of a symbol from another. */
export function contractLabel(c: Pick<Contract, 'symbol' | 'expiry' | 'strike' | 'right'>): string {
  return [c.symbol, c.expiry, c.strike, c.right].filter((x) => x !== undefined).join(' ');
}
