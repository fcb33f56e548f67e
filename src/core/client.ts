/**
 * createClient(): builds the whole core (configuration, broker, audit log,
 * risk engine, kill switch, order service) and returns a connected
 * GatewayClient. This is the library's entry point and what the REST API,
 * the CLI and the dashboard run on.
 */
import { readFileSync } from 'node:fs';
import type { Broker } from './broker/port.js';
import { createBroker } from '../brokers/index.js';
import { openAuditStore } from './audit/audit-store.js';
import type { AuditStore } from './audit/types.js';
import { systemClock, type Clock } from './clock.js';
import { loadEnv, parseConfig, publicConfig, type Config, type Env } from './config.js';
import { ContractResolver } from './contracts.js';
import { AccountError, BrokerConnectionError, ConfigError } from './errors.js';
import { startupGateProblem } from './gates.js';
import type { GatewayClient } from './gateway-client.js';
import { KillSwitch } from './kill-switch.js';
import { createLogger, withContext, type Logger } from './logging.js';
import { QuoteHub } from './market-data.js';
import { createMetrics } from './metrics.js';
import type { OrderContext } from './orders/context.js';
import { auditRow } from './orders/context.js';
import { attachOrderEvents } from './orders/order-events.js';
import { reconcileOrders } from './orders/reconcile.js';
import { PreviewRegistry } from './previews.js';
import { createRiskEngine } from './risk/index.js';
import { buildClient } from './client-methods.js';

export interface ClientOptions {
  /** A ready Config; otherwise parsed from `env` (default: process.env over .env). */
  config?: Config;
  env?: Env;
  clock?: Clock;
  /** Bring your own Broker (tests, custom back ends); default from BROKER. */
  broker?: Broker;
  logger?: Logger;
  /** Skip connecting (a client that only reads the audit log). */
  connect?: boolean;
}

export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export async function createClient(options: ClientOptions = {}): Promise<GatewayClient> {
  const config = options.config ?? parseConfig(options.env ?? loadEnv());
  const problem = startupGateProblem(config);
  if (problem) throw new ConfigError(problem.variable, problem.message);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const metrics = createMetrics();
  // A configured RISK_FILE is loaded (and validated) by the engine itself.
  const risk = createRiskEngine(config.risk);
  const audit: AuditStore = openAuditStore({ dataDir: config.dataDir, clock });
  let broker: Broker;
  try {
    broker = options.broker ?? createBroker(config, clock, logger);
  } catch (err) {
    audit.close();
    throw err;
  }
  const killSwitch = new KillSwitch(audit, clock);
  const ctx: OrderContext = {
    config,
    broker,
    audit,
    risk,
    killSwitch,
    contracts: new ContractResolver(broker, metrics),
    previews: new PreviewRegistry(config.previewTtlSeconds * 1000, clock),
    clock,
    metrics,
    logger,
    startedAt: clock.now(),
    resolveAccount: (account) => resolveAccount(broker, account),
  };
  const quotes = new QuoteHub(broker, logger);
  const client = buildClient({ ctx, quotes, startedAt: ctx.startedAt, version: VERSION });

  await withContext({ interface: 'system' }, async () => {
    audit.append(auditRow('CONFIG_LOADED', { config: publicConfig(config), version: VERSION }, { accountId: null, orderId: null, snapshot: null }));
    if (options.connect === false) return;
    try {
      await broker.connect();
      // Orders are settled against the broker before the client accepts new ones.
      await reconcileOrders(ctx);
    } catch (err) {
      await broker.close().catch(() => undefined);
      audit.close();
      throw err;
    }
  });
  const detach = attachOrderEvents(ctx, {
    onBreaker: (reason) => void client.setKillSwitch(true, reason).catch((err: unknown) => logger.error({ err }, 'circuit breaker could not engage the kill switch')),
    onReconnect: () => void reconcileOrders(ctx).catch((err: unknown) => logger.error({ err }, 'reconciliation after reconnect failed')),
  });
  const close = client.close.bind(client);
  client.close = async () => {
    detach();
    await close();
  };
  return client;
}

function resolveAccount(broker: Broker, account?: string): string {
  const accounts = broker.accounts();
  if (account !== undefined) {
    if (!accounts.includes(account)) throw new AccountError(`Account ${account} is not managed by this connection (${accounts.join(', ') || 'none'})`, 'ACCOUNT_NOT_FOUND', { account, accounts });
    return account;
  }
  const first = accounts[0];
  if (first === undefined) throw new BrokerConnectionError('The broker reported no accounts; is it connected?', 'BROKER_UNAVAILABLE');
  return first;
}
