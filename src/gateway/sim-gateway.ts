/**
 * `sim-gateway`: the TWS API wire protocol (the emulator) over the simulated
 * broker on DATA_DIR, optionally with the HTTP fault channel. The CLI asks
 * for it here; it never builds a broker itself.
 */
import type { Config } from '../core/config.js';
import type { Broker } from '../core/broker/port.js';
import type { AdminChannel, TwsEmulator } from '../tws-emulator/index.js';
import { openSimBroker } from '../gateway.js';

export interface SimGatewayOptions {
  port: number;
  host: string;
  serverVersion: number;
  maxMarketDataLines: number;
  /** Also serve the fault-injection HTTP channel on this loopback port. */
  adminPort?: number;
}

export interface SimGateway {
  broker: Broker;
  emulator: TwsEmulator;
  admin: AdminChannel | null;
  close(): Promise<void>;
}

export async function startSimGateway(config: Config, options: SimGatewayOptions): Promise<SimGateway> {
  const { startAdminChannel, startTwsEmulator } = await import('../tws-emulator/index.js');
  const { Catalogue } = await import('../brokers/sim/index.js');
  const broker = await openSimBroker(config);
  await broker.connect();
  try {
    const emulator = await startTwsEmulator({
      broker,
      port: options.port,
      host: options.host,
      serverVersion: options.serverVersion,
      maxMarketDataLines: options.maxMarketDataLines,
      // The listed instruments, for reqMatchingSymbols and the scanners (the Broker port cannot list them).
      universe: new Catalogue().listed().map((i) => i.contract),
    });
    const admin = options.adminPort === undefined ? null : await startAdminChannel(emulator, { port: options.adminPort });
    return {
      broker,
      emulator,
      admin,
      async close() {
        await admin?.close();
        await emulator.close();
        await broker.close();
      },
    };
  } catch (err) {
    await broker.close();
    throw err;
  }
}
