/**
 * `sim-gateway`: the TWS API wire protocol over the simulated broker, so the
 * tws broker of this project, or any TWS API program, can run end to end
 * without IB Gateway. Serves until SIGINT/SIGTERM, then closes the clients,
 * the listener and the simulator's ledger cleanly.
 */
import type { Command } from 'commander';
import { loadEnv, parseConfig } from '../../core/config.js';
import { startSimGateway } from '../../gateway.js';
import { processIo } from '../output.js';
import { EXIT, reportError, UsageError } from '../run.js';

interface SimGatewayOptions {
  port: string;
  host: string;
  serverVersion: string;
  maxMarketDataLines: string;
  adminPort?: string;
}


const toInt = (name: string, value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be a non-negative integer, got ${value}`);
  return n;
};

export function registerSimGatewayCommand(program: Command): void {
  program
    .command('sim-gateway')
    .description('Serve the TWS API (server version 178) over the simulated broker, like a paper IB Gateway')
    .option('--port <port>', 'TCP port to listen on (4002 is IB Gateway paper)', '4002')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--server-version <n>', 'highest server version to offer (176..178)', '178')
    .option('--max-market-data-lines <n>', 'concurrent market data lines before error 101', '100')
    .option('--admin-port <port>', 'also serve the fault-injection HTTP channel on this loopback port (see README)')
    .action(async (o: SimGatewayOptions) => {
      const io = processIo();
      try {
        const config = parseConfig(loadEnv());
        const gateway = await startSimGateway(config, {
          port: toInt('--port', o.port),
          host: o.host,
          serverVersion: toInt('--server-version', o.serverVersion),
          maxMarketDataLines: toInt('--max-market-data-lines', o.maxMarketDataLines),
          ...(o.adminPort === undefined ? {} : { adminPort: toInt('--admin-port', o.adminPort) }),
        });
        const { emulator, admin, broker } = gateway;
        io.stderr.write(`sim-gateway: TWS API on ${emulator.host}:${emulator.port} (accounts ${broker.accounts().join(',')}, data in ${config.dataDir}); Ctrl-C to stop\n`);
        if (admin) io.stderr.write(`sim-gateway: fault injection on http://127.0.0.1:${admin.port}/faults/...\n`);
        await new Promise<void>((resolve) => {
          const stop = (): void => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await gateway.close();
        process.exitCode = EXIT.OK;
      } catch (err) {
        // A bad flag (or a port out of range) is a usage error: exit code 2, like a bad configuration.
        if (err instanceof UsageError || err instanceof RangeError) {
          io.stderr.write(`${err.message}\n`);
          process.exitCode = EXIT.CONFIG;
          return;
        }
        reportError(io, err, false);
      }
    });
}
