#!/usr/bin/env node
/**
 * The ibkr-gateway command. Exit codes: 0 success, 1 failure (an error from
 * the gateway, an unhealthy check, a broken audit chain), 2 bad configuration
 * or usage.
 */
import { Command, CommanderError } from 'commander';
import { openConfiguredStore } from '../core/audit/open-store.js';
import { VERSION } from '../core/version.js';
import { registerAccountCommands } from './commands/account.js';
import { registerAdminCommands } from './commands/admin.js';
import { registerApprovalCommands } from './commands/approvals.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerAuditMigrate } from './commands/audit-migrate.js';
import { registerCloseCommand } from './commands/close.js';
import { registerDemo } from './commands/demo.js';
import { registerHealthcheck } from './commands/healthcheck.js';
import { registerMarketCommands } from './commands/market.js';
import { registerMcpCommand } from './commands/mcp.js';
import { registerOrderCommands } from './commands/orders.js';
import { registerSimGatewayCommand } from './commands/sim-gateway.js';
import { registerStart } from './commands/start.js';
import { EXIT, loadConfig } from './run.js';

export function buildProgram(): Command {
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
  registerStart(program);
  registerHealthcheck(program);
  registerDemo(program);
  registerMarketCommands(program);
  registerAccountCommands(program);
  registerOrderCommands(program);
  registerApprovalCommands(program);
  registerCloseCommand(program);
  registerAdminCommands(program);
  const audit = registerAuditCommands(program, () => {
    const config = loadConfig();
    return openConfiguredStore(config);
  });
  registerAuditMigrate(audit, loadConfig);
  registerMcpCommand(program);
  registerSimGatewayCommand(program);
  return program;
}

// `ibkr-gateway orders | head`: the reader leaving early is not a crash. Stop writing and let the
// command finish its cleanup (closing the account and the audit log) as it would have anyway.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and --version are successes; anything else is a usage error.
    process.exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? EXIT.OK : EXIT.CONFIG;
  } else {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT.FAILURE;
  }
}
