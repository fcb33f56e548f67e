/**
 * The composition root: the one module that knows every part. It turns a
 * Config into a store, a broker and a client, and assembles the served
 * interfaces (REST, MCP over HTTP, the dashboard) for `start`.
 *
 * Everything heavy is imported when it is asked for, not when this module
 * loads: the tws adapter (and @stoqey/ib) only with BROKER=tws, the simulator
 * only with BROKER=sim, Fastify, the MCP SDK and the dashboard only when a
 * server is started. So `import { createClient } from 'ibkr-gateway'` costs
 * what the chosen broker costs, nothing more.
 *
 * Arrows point down from here: cli -> gateway -> api, mcp, web, brokers,
 * tws-emulator -> core. The import-boundary test (src/architecture.test.ts)
 * keeps it so.
 */
import type { Clock } from './core/clock.js';
import { createCoreClient, type BrokerFactory, type CoreClientOptions } from './core/client/wiring.js';
import type { GatewayClient } from './core/client/interface.js';
import { loadEnv, parseConfig, type Config, type Env } from './core/config.js';
import type { Broker } from './core/broker/port.js';
import type { Logger } from './core/logging.js';

export { VERSION } from './core/version.js';
export type { BrokerFactory } from './core/client/wiring.js';

export interface ClientOptions extends Omit<CoreClientOptions, 'config' | 'broker'> {
  /** A ready Config; otherwise parsed from `env` (default: process.env over .env). */
  config?: Config;
  env?: Env;
  /** Bring your own Broker (tests, custom back ends) or a factory; default: the one BROKER names. */
  broker?: Broker | BrokerFactory;
}

/** The library's entry point: a connected GatewayClient on the broker the configuration names. */
export async function createClient(options: ClientOptions = {}): Promise<GatewayClient> {
  const config = options.config ?? parseConfig(options.env ?? loadEnv());
  return createCoreClient({ ...options, config, broker: options.broker ?? createBroker });
}

/** The Broker for BROKER=...: the embedded simulator by default, IB Gateway / TWS through the tws adapter. */
export async function createBroker(config: Config, clock: Clock, logger: Logger): Promise<Broker> {
  switch (config.broker) {
    case 'sim':
      return openSimBroker(config, clock);
    case 'tws': {
      const { createTwsBroker } = await import('./brokers/tws/index.js');
      return createTwsBroker({ host: config.ibkr.host, port: config.ibkr.port, clientId: config.ibkr.clientId, dataDir: config.dataDir, clock, logger });
    }
  }
}

/** The simulated broker over DATA_DIR/sim.db, not yet connected. */
export async function openSimBroker(config: Config, clock?: Clock): Promise<Broker> {
  const { createSimBroker } = await import('./brokers/sim/index.js');
  return createSimBroker({
    dataDir: config.dataDir,
    seed: config.sim.seed,
    session: config.sim.session,
    startingCash: config.sim.startingCash,
    baseCurrency: config.sim.baseCurrency,
    commissionPlan: config.sim.commissionPlan,
    accountId: config.sim.accountId,
    depthHalfLifeMs: config.sim.depthHalfLifeMs,
    ...(clock ? { clock } : {}),
  });
}

/** `sim reset`: the simulated account starts afresh with SIM_STARTING_CASH. */
export async function resetSimAccount(config: Config): Promise<void> {
  const sim = await import('./brokers/sim/index.js');
  sim.resetSimAccount(config.dataDir, config.sim.startingCash, config.sim.baseCurrency);
}

export { serveGateway, type ServedGateway, type ResolvedApiKeys } from './gateway/serve.js';
export { startSimGateway, type SimGateway, type SimGatewayOptions } from './gateway/sim-gateway.js';
export { runMcpStdio } from './gateway/mcp-stdio.js';
