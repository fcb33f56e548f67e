/** `account`, `positions`, `pnl`: the account as IBKR reports it. */
import type { Command } from 'commander';
import { printFields, printJson, printTable } from '../output.js';
import { withClient } from '../run.js';

interface Flags {
  account?: string;
  json?: boolean;
}

export function registerAccountCommands(program: Command): void {
  program
    .command('account')
    .description('Account summary: net liquidation, cash, buying power, margin')
    .option('--account <id>', 'account id (default: the first managed account)')
    .option('--json', 'print JSON')
    .action(async (o: Flags) =>
      withClient(
        async (client, io) => {
          const s = await client.getAccountSummary(o.account);
          if (o.json) return printJson(io, s);
          printFields(io, [
            ['account', s.accountId],
            ['currency', s.currency],
            ['net liquidation', s.netLiquidation],
            ['total cash', s.totalCash],
            ['buying power', s.buyingPower],
            ['available funds', s.availableFunds],
            ['gross position value', s.grossPositionValue],
            ['initial margin', s.initMarginReq],
            ['maintenance margin', s.maintMarginReq],
            ['unrealized P&L', s.unrealizedPnl],
            ['realized P&L', s.realizedPnl],
          ]);
        },
        { json: o.json },
      ),
    );

  program
    .command('positions')
    .description('Open positions with average cost and P&L')
    .option('--account <id>', 'account id')
    .option('--json', 'print JSON')
    .action(async (o: Flags) =>
      withClient(
        async (client, io) => {
          const positions = await client.getPositions(o.account);
          if (o.json) return printJson(io, positions);
          printTable(
            io,
            ['symbol', 'type', 'quantity', 'avgCost', 'price', 'value', 'unrealized', 'realized'],
            positions.map((p) => [p.symbol, p.securityType, p.quantity, p.avgCost, p.marketPrice, p.marketValue, p.unrealizedPnl, p.realizedPnl]),
          );
        },
        { json: o.json },
      ),
    );

  program
    .command('pnl')
    .description("Today's P&L, realised and unrealised, by symbol")
    .option('--account <id>', 'account id')
    .option('--json', 'print JSON')
    .action(async (o: Flags) =>
      withClient(
        async (client, io) => {
          const pnl = await client.getPnl(o.account);
          if (o.json) return printJson(io, pnl);
          printFields(io, [
            ['daily', pnl.dailyPnl],
            ['unrealized', pnl.unrealizedPnl],
            ['realized', pnl.realizedPnl],
          ]);
          if (pnl.bySymbol.length > 0) {
            io.stdout.write('\n');
            printTable(io, ['symbol', 'position', 'daily', 'unrealized', 'realized', 'value'], pnl.bySymbol.map((d) => [d.symbol, d.position, d.dailyPnl, d.unrealizedPnl, d.realizedPnl, d.marketValue]));
          }
        },
        { json: o.json },
      ),
    );
}
