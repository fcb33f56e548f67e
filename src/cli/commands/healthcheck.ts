/**
 * `healthcheck`: connect to the configured broker and report. Exit 0 healthy,
 * 1 unhealthy (including a broker that cannot be reached), 2 bad configuration.
 */
import type { Command } from 'commander';
import { createClient } from '../../gateway.js';
import { ConfigError, toGatewayError } from '../../core/errors.js';
import { withContext } from '../../core/logging.js';
import { paint, printFields, printJson, processIo, withSpinner } from '../output.js';
import { cliLogger, EXIT, loadConfig } from '../run.js';

export function registerHealthcheck(program: Command): void {
  program
    .command('healthcheck')
    .description('Connect to the broker and print connection state, server time, accounts, market data type and the gates')
    .option('--json', 'print the Health model as JSON')
    .action(async (o: { json?: boolean }) => {
      const io = processIo();
      await withContext({ interface: 'cli' }, async () => {
        let config;
        try {
          config = loadConfig();
        } catch (err) {
          io.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
          process.exitCode = EXIT.CONFIG;
          return;
        }
        try {
          const logger = cliLogger(config);
          const client = await withSpinner(io, `connecting to the ${config.broker} broker`, () => createClient({ config, logger }));
          const health = await client.health().finally(() => client.close());
          process.exitCode = health.status === 'ok' ? EXIT.OK : EXIT.FAILURE;
          if (o.json) return printJson(io, health);
          printFields(io, [
            ['status', paint(io, health.status === 'ok' ? 'green' : 'red', health.status)],
            ['broker', `${health.broker.kind} (${health.broker.state})`],
            ['server time', health.broker.serverTime],
            ['accounts', health.broker.accounts.join(', ')],
            ['market data', health.broker.marketDataType],
            ['trading mode', health.tradingMode],
            ['orders enabled', health.ordersEnabled],
            ['live override file', health.liveOverridePresent ? 'present' : 'absent'],
            ['an order now would', health.effectiveOrderMode],
            ['kill switch', health.killSwitch.engaged ? `ENGAGED (${health.killSwitch.reason ?? ''})` : 'released'],
          ]);
        } catch (err) {
          const gw = toGatewayError(err);
          process.exitCode = gw instanceof ConfigError ? EXIT.CONFIG : EXIT.FAILURE;
          if (o.json) return printJson(io, { status: 'down', broker: config.broker, error: gw.toJSON() });
          io.stderr.write(`${paint(io, 'red', 'unhealthy')}: ${gw.code}: ${gw.message}\n`);
        }
      });
    });
}
