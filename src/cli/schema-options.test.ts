/**
 * The CLI's instrument, bar and order options are generated from the zod
 * schemas: every field has its option, named after the field, and a command
 * line parses back into the schema's input.
 */
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { HistoricalRequest, OrderSpec, SymbolSpec } from '../core/models.js';
import { registerMarketCommands } from './commands/market.js';
import { addOrderFields, orderInputFrom, registerOrderCommands } from './commands/orders.js';
import { BARS_FIELDS, ORDER_FIELDS } from './commands/spec-fields.js';
import { addSchemaFields, inputFrom } from './schema-options.js';

const flagOf = (field: string): string => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function program(): Command {
  const p = new Command('ibkr-gateway').exitOverride();
  registerMarketCommands(p);
  registerOrderCommands(p);
  return p;
}

function command(name: string): Command {
  const found = program().commands.find((c) => c.name() === name);
  if (!found) throw new Error(`no ${name} command`);
  return found;
}

/** What each field of the command becomes: `<argument>` or its long flag. */
function fieldsOf(cmd: Command): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of cmd.registeredArguments) out[a.name()] = `<${a.name()}>`;
  for (const o of cmd.options) if (!o.hidden && o.long !== undefined) out[o.attributeName()] = o.long;
  return out;
}

/** Parses `argv` as `place` would and returns the OrderSpec input it builds. */
async function orderInput(argv: string[]): Promise<unknown> {
  let input: unknown;
  const cmd = addOrderFields(new Command('place').exitOverride().configureOutput({ writeErr: () => undefined })).action(function (this: Command) {
    input = orderInputFrom(this);
  });
  await cmd.parseAsync(argv, { from: 'user' });
  return input;
}

async function usageError(argv: string[]): Promise<CommanderError> {
  try {
    await orderInput(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err;
    throw err;
  }
  throw new Error('expected a usage error');
}

describe('order options, generated from OrderSpec', () => {
  it.each(['preview', 'place'])('%s has ACTION QUANTITY SYMBOL and an option named after every other OrderSpec field', (name) => {
    const fields = fieldsOf(command(name));
    for (const field of Object.keys(OrderSpec.shape)) {
      expect(fields[field], field).toBe(['action', 'quantity', 'symbol'].includes(field) ? `<${field}>` : flagOf(field));
    }
    expect(fields.limitOffset).toBe('--limit-offset');
  });

  it('describes each option with the schema description and offers the enum values', () => {
    const options = command('place').options;
    const limitOffset = options.find((o) => o.long === '--limit-offset');
    expect(limitOffset?.description).toBe(OrderSpec.shape.limitOffset.description);
    expect(options.find((o) => o.long === '--time-in-force')?.argChoices).toEqual(['DAY', 'GTC', 'IOC', 'FOK', 'OPG', 'GTD']);
  });

  it('parses a command line into the OrderSpec it names', async () => {
    const input = await orderInput([
      'sell', '3', 'aapl',
      '--order-type', 'TRAIL_LIMIT', '--trailing-percent', '1.5', '--limit-offset', '0.25',
      '--time-in-force', 'gtc', '--outside-rth', '--client-order-id', 'cli-1', '--account', 'DU1234567',
    ]);
    expect(input).toEqual({
      action: 'SELL', quantity: 3, symbol: 'aapl', securityType: 'STK', orderType: 'TRAIL_LIMIT', trailingPercent: 1.5, limitOffset: 0.25,
      timeInForce: 'GTC', outsideRth: true, clientOrderId: 'cli-1', account: 'DU1234567',
    });
    expect(OrderSpec.parse(input)).toEqual({
      symbol: 'AAPL', securityType: 'STK', action: 'SELL', quantity: 3, orderType: 'TRAIL_LIMIT', trailingPercent: 1.5, limitOffset: 0.25,
      timeInForce: 'GTC', outsideRth: true, clientOrderId: 'cli-1', account: 'DU1234567',
    });
  });

  it('with no options, is a DAY market order for a stock (the CLI default MKT, the schema defaults STK, DAY, regular hours)', async () => {
    expect(OrderSpec.parse(await orderInput(['BUY', '10', 'AAPL']))).toEqual({ symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 10, orderType: 'MKT', timeInForce: 'DAY', outsideRth: false });
  });

  it('reaches every OrderSpec field from the command line', async () => {
    const argv = ['BUY', '1', 'X'];
    for (const o of ORDER_FIELDS.options) {
      if (o.kind === 'boolean') argv.push(o.flag);
      else argv.push(o.flag, o.choices?.[0] ?? (o.kind === 'number' ? '1' : 'x'));
    }
    expect(Object.keys(await orderInput(argv) as object).sort()).toEqual(Object.keys(OrderSpec.shape).sort());
  });

  it('keeps the earlier short flags working: --limit, --tif, --sec-type, --trail-percent ...', async () => {
    const input = await orderInput(['BUY', '10', 'AAPL', '--order-type', 'LMT', '--limit', '170', '--tif', 'GTC', '--sec-type', 'ETF', '--take-profit', '180', '--stop-loss', '160']);
    expect(input).toMatchObject({ orderType: 'LMT', limitPrice: 170, timeInForce: 'GTC', securityType: 'ETF', takeProfitPrice: 180, stopLossPrice: 160 });
    expect(await orderInput(['SELL', '1', 'AAPL', '--order-type', 'TRAIL', '--trail-percent', '2', '--oca', 'g1', '--stop', '150', '--trail-amount', '1']))
      .toMatchObject({ trailingPercent: 2, ocaGroup: 'g1', stopPrice: 150, trailingAmount: 1 });
  });

  it.each([
    [['BUY', 'ten', 'AAPL'], 'quantity'],
    [['HOLD', '10', 'AAPL'], 'action'],
    [['BUY', '10', 'AAPL', '--limit-price', 'abc'], '--limit-price'],
    [['BUY', '10', 'AAPL', '--limit', ''], '--limit'],
    [['BUY', '10', 'AAPL', '--order-type', 'LIMIT'], '--order-type'],
  ])('%j is a usage error naming %s', async (argv, name) => {
    const err = await usageError(argv);
    expect(err.code).toBe('commander.invalidArgument');
    expect(err.message).toContain(name);
  });
});

describe('instrument and bar options, generated from SymbolSpec and HistoricalRequest', () => {
  it('quote has an option named after every SymbolSpec field but the symbols it takes as arguments', () => {
    const fields = fieldsOf(command('quote'));
    for (const field of Object.keys(SymbolSpec.shape)) if (field !== 'symbol') expect(fields[field], field).toBe(flagOf(field));
  });

  it('bars takes SYMBOL and an option for every HistoricalRequest field; a true default is turned off with --no-', () => {
    const fields = fieldsOf(command('bars'));
    for (const field of Object.keys(HistoricalRequest.shape)) {
      expect(fields[field], field).toBe(field === 'symbol' ? '<symbol>' : field === 'useRth' ? '--no-use-rth' : flagOf(field));
    }
  });

  it('shows the schema defaults, also of a field that transforms its input (duration)', () => {
    const options = command('bars').options;
    expect(options.find((o) => o.long === '--duration')?.defaultValue).toBe('1 M');
    expect(options.find((o) => o.long === '--bar-size')?.defaultValue).toBe('1 day');
  });

  it('parses bars aapl --bar-size "1 hour" --duration "1 W" --no-use-rth into the HistoricalRequest it names', async () => {
    let input: unknown;
    const cmd = addSchemaFields(new Command('bars').exitOverride(), BARS_FIELDS).action(function (this: Command) {
      input = inputFrom(BARS_FIELDS, this.processedArgs, this.opts());
    });
    await cmd.parseAsync(['aapl', '--bar-size', '1 hour', '--duration', '1 W', '--no-use-rth'], { from: 'user' });
    expect(HistoricalRequest.parse(input)).toEqual({ symbol: 'AAPL', securityType: 'STK', barSize: '1 hour', duration: '1 W', whatToShow: 'TRADES', useRth: false });
  });
});
