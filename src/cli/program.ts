/**
 * The ibkr-gateway command's definition (cli/main.ts parses the command line with it).
 */
import { Command } from 'commander';
import { VERSION } from '../core/version.js';
import { loadConfig } from './run.js';

/**
 * `start` (and its alias) is the one command whose start-up time is measured and matters: the
 * gateway answers /health only once this process has loaded everything before it. Every other
 * command's module (the order and market commands generate their options from the zod schemas'
 * JSON Schemas at import, the audit commands load the export code) is then work for nothing, so
 * `ibkr-gateway start ...` builds a program holding only `start`. Its parsing, help and errors are
 * the same: commander shows a subcommand's own help and options only (cli/program.test.ts compares
 * them with the full program's). Anything else (including `--help start`) gets every command.
 */
const START_ONLY = new Set(['start', 'start-api']);

export async function buildProgram(args: readonly string[] = []): Promise<Command> {
  const startOnly = START_ONLY.has(args[0] ?? '');
  const program = new Command('ibkr-gateway')
    .version(VERSION)
    .description('A safe gateway to Interactive Brokers: REST API, MCP server, library and CLI (BROKER=sim by default)')
    .showHelpAfterError('(add --help for usage)')
    .option('--api-url <url>', 'talk to the gateway at this URL over REST (default: IBKR_GATEWAY_URL, else the one running on DATA_DIR, else open the broker)')
    .exitOverride();
  // Commands read the gateway's URL from the environment, wherever the option was given.
  program.hook('preAction', (cmd) => {
    const url = cmd.optsWithGlobals<{ apiUrl?: string }>().apiUrl;
    if (url !== undefined) process.env.IBKR_GATEWAY_URL = url;
  });
  const { registerStart } = await import('./commands/start.js');
  registerStart(program);
  if (startOnly) return program;
  const [healthcheck, demo, market, account, orders, approvals, close, admin, audit, auditMigrate, mcp, simGateway, openStore] = await Promise.all([
    import('./commands/healthcheck.js'),
    import('./commands/demo.js'),
    import('./commands/market.js'),
    import('./commands/account.js'),
    import('./commands/orders.js'),
    import('./commands/approvals.js'),
    import('./commands/close.js'),
    import('./commands/admin.js'),
    import('./commands/audit.js'),
    import('./commands/audit-migrate.js'),
    import('./commands/mcp.js'),
    import('./commands/sim-gateway.js'),
    import('../core/audit/open-store.js'),
  ]);
  healthcheck.registerHealthcheck(program);
  demo.registerDemo(program);
  market.registerMarketCommands(program);
  account.registerAccountCommands(program);
  orders.registerOrderCommands(program);
  approvals.registerApprovalCommands(program);
  close.registerCloseCommand(program);
  admin.registerAdminCommands(program);
  const auditCommand = audit.registerAuditCommands(program, () => {
    const config = loadConfig();
    return openStore.openConfiguredStore(config);
  });
  auditMigrate.registerAuditMigrate(auditCommand, loadConfig);
  mcp.registerMcpCommand(program);
  simGateway.registerSimGatewayCommand(program);
  return program;
}
