/** The instrument flags shared by quote, bars, preview and place. */
import { Option, type Command } from 'commander';
import { SecurityType, OptionRight } from '../../core/models.js';

export interface InstrumentFlags {
  secType?: string;
  exchange?: string;
  currency?: string;
  expiry?: string;
  strike?: string;
  right?: string;
}

export function addInstrumentOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--sec-type <type>', 'security type').choices(SecurityType.options).default('STK'))
    .option('--exchange <exchange>', 'exchange, e.g. SMART, NASDAQ, CME, IDEALPRO')
    .option('--currency <currency>', 'currency, e.g. USD')
    .option('--expiry <date>', 'expiry YYYY-MM-DD (or YYYYMM for a futures month)')
    .option('--strike <price>', 'option strike')
    .addOption(new Option('--right <right>', 'option right').choices(OptionRight.options));
}

/** Flags -> the SymbolSpec input; validation is the core's job (it names the field). */
export function instrumentFrom(symbol: string, f: InstrumentFlags): Record<string, unknown> {
  const spec: Record<string, unknown> = { symbol, securityType: f.secType ?? 'STK' };
  if (f.exchange !== undefined) spec.exchange = f.exchange;
  if (f.currency !== undefined) spec.currency = f.currency;
  if (f.expiry !== undefined) spec.expiry = f.expiry;
  if (f.strike !== undefined) spec.strike = Number(f.strike);
  if (f.right !== undefined) spec.right = f.right;
  return spec;
}
