/** `orders`, `preview`, `place`, `modify`, `cancel`: the order path from a terminal. */
import { createInterface } from 'node:readline/promises';
import { Option, type Command } from 'commander';
import type { CliGateway } from '../remote.js';
import type { ModificationPreview, ModifyResult, OrderModificationInput, OrderPreview, OrderResult, OrderSpecInput, OrderSpecOutput } from '../../core/models.js';
import { paint, printFields, printJson, printTable, type Io } from '../output.js';
import { UsageError, withClient } from '../run.js';
import { addSchemaFields, inputFrom } from '../schema-options.js';
import { MODIFY_FIELDS, ORDER_FIELDS } from './spec-fields.js';

type OrderFlags = Record<string, unknown> & { json?: boolean; yes?: boolean };

/** ACTION QUANTITY SYMBOL and one option per OrderSpec field (see spec-fields.ts). */
export function addOrderFields(cmd: Command): Command {
  return addSchemaFields(cmd, ORDER_FIELDS).option('--json', 'print JSON');
}

/** The OrderSpec input of a parsed `preview` / `place` command. */
export function orderInputFrom(cmd: Command): OrderSpecInput {
  return inputFrom(ORDER_FIELDS, cmd.processedArgs, cmd.opts());
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

export async function confirm(io: Io, question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

const orderText = (s: OrderSpecOutput): string =>
  `${s.action} ${s.quantity} ${s.symbol} ${s.orderType}${s.limitPrice !== undefined ? ` lmt ${s.limitPrice}` : ''}${s.stopPrice !== undefined ? ` stp ${s.stopPrice}` : ''}${s.trailingAmount !== undefined ? ` trail ${s.trailingAmount}` : ''}${s.trailingPercent !== undefined ? ` trail ${s.trailingPercent}%` : ''} ${s.timeInForce}${s.outsideRth ? ' outsideRth' : ''}`;

export function printModificationPreview(io: Io, p: ModificationPreview): void {
  printFields(io, [
    ['order', p.orderId],
    ['now', `${orderText(p.previous)}${p.filledQuantity > 0 ? ` (${p.filledQuantity} filled)` : ''}`],
    ['after', orderText(p.spec)],
    ['reference price', p.referencePrice],
    ['notional still working', p.estimatedNotional],
    ['modifying it would', `${p.gate.outcome}: ${p.gate.reason}`],
    ['preview id', `${p.previewId} (until ${p.expiresAt})`],
  ]);
  io.stdout.write('\n');
  printTable(io, ['risk check', 'ok', 'value', 'limit'], p.riskChecks.map((c) => [c.name, c.passed ? paint(io, 'green', 'pass') : paint(io, 'red', 'FAIL'), c.value, c.limit]));
  for (const w of p.warnings) io.stdout.write(`${paint(io, 'yellow', 'warning')}: ${w}\n`);
}

export function printModifyResult(io: Io, r: ModifyResult): void {
  printFields(io, [
    ['order id', r.orderId],
    ['modified', r.modified ? 'yes' : 'no'],
    ['now', orderText(r.spec)],
    ['was', orderText(r.previous)],
    ['status', r.status],
    ['filled', r.filledQuantity],
    ['remaining', r.remainingQuantity],
    ['message', r.message],
    ['correlation id', r.correlationId],
  ]);
}

async function modify(client: CliGateway, io: Io, orderId: string, changes: OrderModificationInput, o: OrderFlags): Promise<void> {
  if (!o.yes && !(io.isTTY && process.stdin.isTTY)) {
    throw new UsageError('modify needs confirmation: run it in a terminal, or pass --yes');
  }
  const preview = await client.previewModification(orderId, changes);
  if (!o.yes) {
    printModificationPreview(io, preview);
    if (!(await confirm(io, `\n${preview.gate.outcome === 'TRANSMIT' ? 'Send' : 'Record'} this modification?`))) {
      io.stderr.write('Not modified.\n');
      return;
    }
  }
  const result = await client.modifyOrder(orderId, { ...changes, previewId: preview.previewId });
  if (o.json) return printJson(io, result);
  printModifyResult(io, result);
}

async function place(client: CliGateway, io: Io, spec: OrderSpecInput, o: OrderFlags): Promise<void> {
  if (!o.yes && !(io.isTTY && process.stdin.isTTY)) {
    // Without a terminal nobody can confirm: a script must say --yes explicitly.
    throw new UsageError('place needs confirmation: run it in a terminal, or pass --yes');
  }
  const preview = await client.previewOrder(spec);
  if (!o.yes) {
    printPreview(io, preview);
    if (!(await confirm(io, `\n${preview.gate.outcome === 'TRANSMIT' ? 'Send' : 'Record'} this order?`))) {
      io.stderr.write('Not placed.\n');
      return;
    }
  }
  const result = await client.placeOrder({ ...spec, previewId: preview.previewId });
  if (o.json) return printJson(io, result);
  printResult(io, result);
}

export function registerOrderCommands(program: Command): void {
  // Commander passes the arguments first, so the actions read the parsed command (`this`) instead.
  addOrderFields(program.command('preview').description('Risk checks, gates and what-if estimates for an order; places nothing')).action(async function (this: Command) {
    const spec = orderInputFrom(this);
    const o = this.opts<OrderFlags>();
    await withClient(
      async (client, io) => {
        const preview = await client.previewOrder(spec);
        if (o.json) return printJson(io, preview);
        printPreview(io, preview);
      },
      { json: o.json },
    );
  });

  addOrderFields(program.command('place').description('Place an order (previewed first; asks for confirmation on a terminal unless --yes)'))
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async function (this: Command) {
      const o = this.opts<OrderFlags>();
      await withClient((client, io) => place(client, io, orderInputFrom(this), o), { json: o.json });
    });

  addSchemaFields(program.command('modify').description('Change a working order in place (same id): prices, quantity, time in force, outsideRth; previewed first, asks for confirmation on a terminal unless --yes').argument('<orderId>', 'the working order'), MODIFY_FIELDS)
    .option('--json', 'print JSON')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async function (this: Command) {
      const o = this.opts<OrderFlags>();
      const [orderId] = this.processedArgs as string[];
      const changes = inputFrom(MODIFY_FIELDS, [], o);
      await withClient((client, io) => modify(client, io, orderId ?? '', changes, o), { json: o.json });
    });

  program
    .command('cancel')
    .description('Cancel a working order, or with --all every working order of the account (optionally --symbol)')
    .argument('[orderId]')
    .option('--all', 'cancel every working order')
    .option('--symbol <symbol>', 'with --all: only this symbol')
    .option('--account <id>', 'with --all: this account (default the first managed one)')
    .option('--json', 'print JSON')
    .action(async (orderId: string | undefined, o: { all?: boolean; symbol?: string; account?: string; json?: boolean }) => {
      await withClient(
        async (client, io) => {
          if ((orderId === undefined) === (o.all !== true)) throw new UsageError('cancel needs an orderId, or --all (not both)');
          if (o.all !== true && (o.symbol !== undefined || o.account !== undefined)) throw new UsageError('--symbol and --account go with --all');
          if (o.all === true) {
            const r = await client.cancelAllOrders({ symbol: o.symbol, account: o.account });
            if (o.json) return printJson(io, r);
            printTable(io, ['orderId', 'status', 'result'], [
              ...r.cancelled.map((c) => [c.orderId, c.status, 'cancelled']),
              ...r.failed.map((f) => [f.orderId, null, paint(io, 'red', `${f.code}: ${f.message}`)]),
            ]);
            if (r.failed.length > 0) process.exitCode = 1;
            return;
          }
          const r = await client.cancelOrder(orderId ?? '');
          if (o.json) return printJson(io, r);
          io.stdout.write(`${r.message} (${r.status})\n`);
        },
        { json: o.json },
      );
    });

  program
    .command('orders')
    .description('Open and recent orders from the audit log')
    .addOption(new Option('--status <which>', 'which orders').choices(['open', 'closed', 'all']).default('all'))
    .option('--symbol <symbol>', 'only this symbol')
    .addOption(new Option('--owner <whose>', "this: this gateway's broker connection's orders; any: every gateway's on the store").choices(['this', 'any']).default('this'))
    .option('--account <id>', 'only orders of this account')
    .option('--identity <brokerIdentity>', "only orders owned by this broker identity (with --owner any for another gateway's)")
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON')
    .action(async (o: { status: 'open' | 'closed' | 'all'; symbol?: string; owner: 'this' | 'any'; account?: string; identity?: string; limit: string; json?: boolean }) =>
      withClient(
        async (client, io) => {
          const orders = await client.listOrders({ status: o.status, symbol: o.symbol, owner: o.owner, account: o.account, brokerIdentity: o.identity, limit: Number(o.limit) });
          if (o.json) return printJson(io, orders);
          // The owner column only where the list can hold other gateways' orders.
          const owner = o.owner === 'any' || o.identity !== undefined;
          printTable(
            io,
            ['orderId', 'status', 'side', 'qty', 'symbol', 'type', 'filled', 'avgPrice', 'updated', ...(owner ? ['owner'] : [])],
            orders.map((d) => [d.orderId, d.status, d.spec.action, d.spec.quantity, d.spec.symbol, d.spec.orderType, d.filledQuantity, d.avgFillPrice, d.updatedAt, ...(owner ? [d.brokerIdentity] : [])]),
          );
        },
        { json: o.json },
      ),
    );
}
