/** `close SYMBOL`: flatten (part of) a position with the offsetting market order, previewed and confirmed like `place`. */
import type { Command } from 'commander';
import type { ClosePositionRequestInput } from '../../core/models.js';
import { printJson } from '../output.js';
import { UsageError, withClient } from '../run.js';
import { confirm, printPreview, printResult } from './orders.js';

interface CloseFlags {
  quantity?: string;
  percentage?: string;
  securityType?: string;
  account?: string;
  yes?: boolean;
  json?: boolean;
}

export function registerCloseCommand(program: Command): void {
  program
    .command('close')
    .description('Close a position (all of it, --quantity or --percentage) with the offsetting market order; previewed, and confirmed on a terminal unless --yes')
    .argument('<symbol>')
    .option('--quantity <n>', 'close this many units (at most the position)')
    .option('--percentage <p>', 'close this percentage of the position (rounded down to whole units)')
    .option('--security-type <type>', 'which position when several share the symbol (STK, OPT, FUT, ...)')
    .option('--account <id>', 'account (default the first managed one)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print JSON')
    .action(async (symbol: string, o: CloseFlags) =>
      withClient(
        async (client, io) => {
          if (!o.yes && !(io.isTTY && process.stdin.isTTY)) throw new UsageError('close needs confirmation: run it in a terminal, or pass --yes');
          // Strings go in as typed: the core's schema converts and checks them, with the same messages as REST.
          const request = { quantity: o.quantity, percentage: o.percentage, securityType: o.securityType, account: o.account } as ClosePositionRequestInput;
          const preview = await client.previewClosePosition(symbol, request);
          if (!o.yes) {
            printPreview(io, preview);
            if (!(await confirm(io, `\n${preview.gate.outcome === 'TRANSMIT' ? 'Send' : 'Record'} this closing order?`))) {
              io.stderr.write('Not closed.\n');
              return;
            }
          }
          const result = await client.closePosition(symbol, { ...request, previewId: preview.previewId });
          if (o.json) return printJson(io, result);
          printResult(io, result);
        },
        { json: o.json },
      ),
    );
}
