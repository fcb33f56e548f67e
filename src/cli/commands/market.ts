/** `quote SYMBOL...` and `bars SYMBOL`: market data in the terminal. */
import type { Command } from 'commander';
import { BarSize, Duration, type SymbolSpecInput } from '../../core/models.js';
import { printJson, printTable, sparkChart, withSpinner } from '../output.js';
import { withClient } from '../run.js';
import { addInstrumentOptions, instrumentFrom, type InstrumentFlags } from './instrument-options.js';

export function registerMarketCommands(program: Command): void {
  addInstrumentOptions(program.command('quote').description('Quote snapshot for one or more symbols').argument('<symbols...>', 'symbols, e.g. AAPL MSFT'))
    .option('--json', 'print JSON')
    .action(async (symbols: string[], o: InstrumentFlags & { json?: boolean }) =>
      withClient(
        async (client, io) => {
          const quotes = await Promise.all(symbols.map((s) => client.getQuote(instrumentFrom(s, o) as SymbolSpecInput)));
          if (o.json) return printJson(io, quotes);
          printTable(
            io,
            ['symbol', 'bid', 'ask', 'last', 'bidSize', 'askSize', 'volume', 'time'],
            quotes.map((q) => [q.symbol, q.bid, q.ask, q.last, q.bidSize, q.askSize, q.volume, q.timestamp]),
          );
        },
        { json: o.json },
      ),
    );

  addInstrumentOptions(program.command('bars').description('Historical bars, with a small chart of closes').argument('<symbol>'))
    .option('--bar-size <size>', `bar size: ${BarSize.options.join(', ')}`, '1 day')
    .option('--duration <duration>', 'how far back, e.g. "1 D", "1 W", "1 M", "1 Y"', '1 M')
    .option('--json', 'print JSON')
    .action(async (symbol: string, o: InstrumentFlags & { barSize: string; duration: string; json?: boolean }) =>
      withClient(
        async (client, io) => {
          const bars = await withSpinner(io, `fetching ${o.duration} of ${o.barSize} bars`, () =>
            client.getBars({ ...(instrumentFrom(symbol, o) as SymbolSpecInput), barSize: o.barSize as BarSize, duration: o.duration as Duration }),
          );
          if (o.json) return printJson(io, bars);
          for (const line of sparkChart(bars.map((b) => b.close))) io.stdout.write(`${line}\n`);
          printTable(io, ['time', 'open', 'high', 'low', 'close', 'volume'], bars.slice(-10).map((b) => [b.time, b.open, b.high, b.low, b.close, b.volume]));
          if (bars.length > 10) io.stdout.write(`(last 10 of ${bars.length} bars; --json for all)\n`);
        },
        { json: o.json },
      ),
    );
}
