/**
 * `healthcheck`: the running gateway's health when one serves this DATA_DIR
 * (or --api-url / IBKR_GATEWAY_URL names one), else connect to the configured
 * broker and report. Exit 0 healthy, 1 unhealthy (including a broker or a
 * gateway that cannot be reached), 2 bad configuration.
 */
import type { Command } from 'commander';
import { ConfigError, toGatewayError } from '../../core/errors.js';
import { paint, printFields, printJson, processIo } from '../output.js';
import { remoteGateway } from '../remote.js';
import { EXIT, findGateway, loadConfig, openLocal } from '../run.js';

export function registerHealthcheck(program: Command): void {
  program
    .command('healthcheck')
    .description('Connect to the broker and print connection state, server time, accounts, market data type and the gates')
    .option('--json', 'print the Health model as JSON')
    .action(async (o: { json?: boolean }) => {
      const io = processIo();
      let config;
      try {
        config = loadConfig();
      } catch (err) {
        io.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
        process.exitCode = EXIT.CONFIG;
        return;
      }
      try {
        const target = findGateway(config);
        const client = target ? remoteGateway(target.url, target.apiKey, 15_000) : await openLocal(io, config);
        const health = await client.health().finally(() => client.close());
        process.exitCode = health.status === 'ok' ? EXIT.OK : EXIT.FAILURE;
        if (o.json) return printJson(io, health);
        printFields(io, [
          ['status', paint(io, health.status === 'ok' ? 'green' : 'red', health.status)],
          ['via', client.via],
          ['broker', `${health.broker.kind} (${health.broker.state})`],
          ['server time', health.broker.serverTime],
          ['accounts', health.broker.accounts.join(', ')],
          ['market data', health.broker.marketDataType],
          ['trading mode', health.tradingMode],
          ['orders enabled', health.ordersEnabled],
          ['live override file', health.liveOverridePresent ? 'present' : 'absent'],
          ['an order now would', health.effectiveOrderMode],
          ['kill switch', health.killSwitch.engaged ? `ENGAGED (${health.killSwitch.reason ?? ''})` : 'released'],
          ['working orders', health.workingOrders],
          ['store', `${health.store.kind} (a read took ${health.store.latencyMs} ms)`],
        ]);
      } catch (err) {
        const gw = toGatewayError(err);
        process.exitCode = gw instanceof ConfigError ? EXIT.CONFIG : EXIT.FAILURE;
        if (o.json) return printJson(io, { status: 'down', broker: config.broker, error: gw.toJSON() });
        io.stderr.write(`${paint(io, 'red', 'unhealthy')}: ${gw.code}: ${gw.message}\n`);
      }
    });
}
