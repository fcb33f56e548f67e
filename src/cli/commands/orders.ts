/** `orders`, `preview`, `place`, `cancel`: the order path from a terminal. */
import { createInterface } from 'node:readline/promises';
import { Option, type Command } from 'commander';
import type { GatewayClient } from '../../core/client/interface.js';
import { OrderType, TimeInForce, type OrderPreview, type OrderResult } from '../../core/models.js';
import { paint, printFields, printJson, printTable, type Io } from '../output.js';
import { UsageError, withClient } from '../run.js';
import { addInstrumentOptions, instrumentFrom, type InstrumentFlags } from './instrument-options.js';

interface OrderFlags extends InstrumentFlags {
  orderType: string;
  limit?: string;
  stop?: string;
  trailAmount?: string;
  trailPercent?: string;
  tif: string;
  outsideRth?: boolean;
  takeProfit?: string;
  stopLoss?: string;
  oca?: string;
  clientOrderId?: string;
  account?: string;
  json?: boolean;
}

function addOrderOptions(cmd: Command): Command {
  return addInstrumentOptions(cmd.argument('<action>', 'BUY or SELL').argument('<quantity>', 'shares / contracts').argument('<symbol>'))
    .addOption(new Option('--order-type <type>', 'order type').choices(OrderType.options).default('MKT'))
    .option('--limit <price>', 'limit price (LMT, STP_LMT)')
    .option('--stop <price>', 'stop price (STP, STP_LMT)')
    .option('--trail-amount <amount>', 'TRAIL: trail by this amount')
    .option('--trail-percent <percent>', 'TRAIL: trail by this percentage')
    .addOption(new Option('--tif <tif>', 'time in force').choices(TimeInForce.options).default('DAY'))
    .option('--outside-rth', 'allow execution outside regular trading hours')
    .option('--take-profit <price>', 'bracket: take-profit limit price')
    .option('--stop-loss <price>', 'bracket: stop-loss stop price')
    .option('--oca <group>', 'one-cancels-all group')
    .option('--client-order-id <id>', 'your id for the order (unique per account; a retry with it never places twice)')
    .option('--account <id>', 'account id')
    .option('--json', 'print JSON');
}

const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

function specFrom(action: string, quantity: string, symbol: string, o: OrderFlags): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    ...instrumentFrom(symbol, o),
    action: action.toUpperCase(),
    quantity: Number(quantity),
    orderType: o.orderType,
    timeInForce: o.tif,
    outsideRth: o.outsideRth ?? false,
    limitPrice: num(o.limit),
    stopPrice: num(o.stop),
    trailingAmount: num(o.trailAmount),
    trailingPercent: num(o.trailPercent),
    takeProfitPrice: num(o.takeProfit),
    stopLossPrice: num(o.stopLoss),
    ocaGroup: o.oca,
    clientOrderId: o.clientOrderId,
    account: o.account,
  };
  for (const k of Object.keys(spec)) if (spec[k] === undefined) delete spec[k];
  return spec;
}

export function printPreview(io: Io, p: OrderPreview): void {
  printFields(io, [
    ['order', `${p.spec.action} ${p.spec.quantity} ${p.contract.symbol} ${p.spec.orderType}${p.spec.limitPrice ? ` @ ${p.spec.limitPrice}` : ''}`],
    ['contract', `${p.contract.description ?? p.contract.symbol} (conId ${p.contract.conId}, ${p.contract.exchange})`],
    ['reference price', p.referencePrice],
    ['notional', p.estimatedNotional],
    ['commission', p.estimatedCommission],
    ['init margin change', p.initMarginChange],
    ['buying power after', p.buyingPowerAfter],
    ['placing it would', `${p.gate.outcome}: ${p.gate.reason}`],
    ['preview id', `${p.previewId} (until ${p.expiresAt})`],
  ]);
  io.stdout.write('\n');
  printTable(io, ['risk check', 'ok', 'value', 'limit'], p.riskChecks.map((c) => [c.name, c.passed ? paint(io, 'green', 'pass') : paint(io, 'red', 'FAIL'), c.value, c.limit]));
  for (const w of p.warnings) io.stdout.write(`${paint(io, 'yellow', 'warning')}: ${w}\n`);
}

export function printResult(io: Io, r: OrderResult): void {
  printFields(io, [
    ['order id', r.orderId],
    ['status', r.status],
    ['filled', `${r.filledQuantity}${r.avgFillPrice !== null ? ` @ ${r.avgFillPrice}` : ''}`],
    ['commission', r.commission],
    ['children', r.children.map((c) => `${c.role} ${c.orderId} ${c.status}`).join(', ') || null],
    ['message', r.message],
    ['correlation id', r.correlationId],
  ]);
}

async function confirm(io: Io, question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

async function place(client: GatewayClient, io: Io, spec: Record<string, unknown>, o: OrderFlags & { yes?: boolean }): Promise<void> {
  if (!o.yes && !(io.isTTY && process.stdin.isTTY)) {
    // Without a terminal nobody can confirm: a script must say --yes explicitly.
    throw new UsageError('place needs confirmation: run it in a terminal, or pass --yes');
  }
  const preview = await client.previewOrder(spec as Parameters<GatewayClient['previewOrder']>[0]);
  if (!o.yes) {
    printPreview(io, preview);
    if (!(await confirm(io, `\n${preview.gate.outcome === 'TRANSMIT' ? 'Send' : 'Record'} this order?`))) {
      io.stderr.write('Not placed.\n');
      return;
    }
  }
  const result = await client.placeOrder({ ...(spec as Parameters<GatewayClient['previewOrder']>[0]), previewId: preview.previewId });
  if (o.json) return printJson(io, result);
  printResult(io, result);
}

export function registerOrderCommands(program: Command): void {
  addOrderOptions(program.command('preview').description('Risk checks, gates and what-if estimates for an order; places nothing')).action(
    async (action: string, quantity: string, symbol: string, o: OrderFlags) =>
      withClient(
        async (client, io) => {
          const preview = await client.previewOrder(specFrom(action, quantity, symbol, o) as Parameters<GatewayClient['previewOrder']>[0]);
          if (o.json) return printJson(io, preview);
          printPreview(io, preview);
        },
        { json: o.json },
      ),
  );

  addOrderOptions(program.command('place').description('Place an order (previewed first; asks for confirmation on a terminal unless --yes)'))
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (action: string, quantity: string, symbol: string, o: OrderFlags & { yes?: boolean }) =>
      withClient((client, io) => place(client, io, specFrom(action, quantity, symbol, o), o), { json: o.json }),
    );

  program
    .command('cancel')
    .description('Cancel a working order')
    .argument('<orderId>')
    .option('--json', 'print JSON')
    .action(async (orderId: string, o: { json?: boolean }) =>
      withClient(
        async (client, io) => {
          const r = await client.cancelOrder(orderId);
          if (o.json) return printJson(io, r);
          io.stdout.write(`${r.message} (${r.status})\n`);
        },
        { json: o.json },
      ),
    );

  program
    .command('orders')
    .description('Open and recent orders from the audit log')
    .addOption(new Option('--status <which>', 'which orders').choices(['open', 'closed', 'all']).default('all'))
    .option('--symbol <symbol>', 'only this symbol')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON')
    .action(async (o: { status: 'open' | 'closed' | 'all'; symbol?: string; limit: string; json?: boolean }) =>
      withClient(
        async (client, io) => {
          const orders = await client.listOrders({ status: o.status, symbol: o.symbol, limit: Number(o.limit) });
          if (o.json) return printJson(io, orders);
          printTable(
            io,
            ['orderId', 'status', 'side', 'qty', 'symbol', 'type', 'filled', 'avgPrice', 'updated'],
            orders.map((d) => [d.orderId, d.status, d.spec.action, d.spec.quantity, d.spec.symbol, d.spec.orderType, d.filledQuantity, d.avgFillPrice, d.updatedAt]),
          );
        },
        { json: o.json },
      ),
    );
}
