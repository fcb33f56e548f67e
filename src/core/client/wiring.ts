/**
 * createCoreClient(): wires the core (audit store, risk engine, kill switch,
 * order service) around a Broker it is given, connects, reconciles, and
 * returns a GatewayClient. The core never chooses a broker: the composition
 * root (src/gateway.ts) does, and hands it in.
 */
import type { Broker } from '../broker/port.js';
import { openConfiguredStore } from '../audit/open-store.js';
import type { AuditStore } from '../audit/types.js';
import { systemClock, type Clock } from '../clock.js';
import { publicConfig, type Config } from '../config.js';
import { ContractResolver } from '../contracts.js';
import { AccountError, AuditError, BrokerConnectionError, ConfigError } from '../errors.js';
import { startupGateProblem } from '../gates.js';
import type { GatewayClient } from './interface.js';
import { GatewayInstance } from '../instance.js';
import { KillSwitch } from '../kill-switch.js';
import { handOver, silentLogger, systemContext, type Logger, type RequestContext } from '../logging.js';
import { QuoteHub } from '../market-data.js';
import { createMetrics } from '../metrics.js';
import { auditRow, forRequest, type OrderContext } from '../orders/context.js';
import { OrderEventFeed, notifyOnRecord } from '../orders/event-feed.js';
import { followKillSwitch } from '../orders/kill-switch-follow.js';
import { instrumentStore } from '../store-metrics.js';
import { attachOrderEvents } from '../orders/order-events.js';
import { reconcileOrders } from '../orders/reconcile.js';
import { PreviewRegistry } from '../previews.js';
import { createRiskEngine, startExposurePublisher, storeHistory, type ExposurePublisher } from '../risk/index.js';
import type { RiskEngine } from '../risk/types.js';
import { buildClient } from './methods.js';
import { createApprovalRuntime, startExpirySweep } from '../approvals/index.js';
import type { ApprovalRuntime } from '../orders/context.js';
import { VERSION } from '../version.js';

/** Builds the broker once the store is open (so a failing broker closes the store it would have used). */
export type BrokerFactory = (config: Config, clock: Clock, logger: Logger) => Broker | Promise<Broker>;

export interface CoreClientOptions {
  config: Config;
  broker: Broker | BrokerFactory;
  clock?: Clock;
  logger?: Logger;
  /** Skip connecting (a client that only reads the audit log). */
  connect?: boolean;
  /**
   * Cancel this gateway's working orders when a kill switch is engaged
   * elsewhere (another gateway, the CLI) or was engaged while it was down
   * (default true). A short-lived CLI process turns it off: it engages and
   * cancels itself.
   */
  followKillSwitch?: boolean;
  /** This instance's lease in the store (default INSTANCE_LEASE_MS; tests shorten it). */
  instanceLeaseMs?: number;
  /**
   * What calls made outside any request context are stamped with (default: interface 'library', a fresh
   * correlation id per call). The CLI passes its interface and one id for the command it runs.
   */
  context?: Partial<RequestContext>;
}

export async function createCoreClient(options: CoreClientOptions): Promise<GatewayClient> {
  const config = options.config;
  const problem = startupGateProblem(config);
  if (problem) throw new ConfigError(problem.variable, problem.message);
  const clock = options.clock ?? systemClock;
  // A library logs nothing unless given a logger; the CLI and `start` pass theirs.
  const logger = options.logger ?? silentLogger();
  const metrics = createMetrics();
  const opened = await openConfiguredStore(config, {
    clock,
    // A copy of each checkpoint outside DATA_DIR: whoever rewrites the directory cannot recall the logs.
    onCheckpoint: (checkpoint) => logger.info({ auditCheckpoint: checkpoint }, 'audit checkpoint'),
    onCheckpointError: (err) => logger.error({ err }, 'audit checkpoint could not be written; the next write retries'),
  });
  if (opened.writeBlock !== null) {
    await opened.close();
    throw new AuditError(`The audit log refuses writes, so the gateway cannot start: ${opened.writeBlock}`, 'AUDIT_UNAVAILABLE');
  }
  const audit: AuditStore = opened;
  // Before anything else wraps or calls it: every operation from here on is timed for /metrics.
  instrumentStore(audit, metrics);
  let risk: RiskEngine;
  let approvals: ApprovalRuntime;
  let instance: GatewayInstance;
  const startedAt = clock.now();
  try {
    // Before any claim: every claim this client makes names its instance.
    instance = await GatewayInstance.start(audit, { leaseMs: options.instanceLeaseMs, logger, startedAt });
  } catch (err) {
    await audit.close();
    throw err;
  }
  try {
    // A configured RISK_FILE is loaded (and validated) by the engine itself. Rates,
    // duplicates and the day's realised P&L come from the store every process writes.
    risk = createRiskEngine(config.risk, { store: storeHistory(audit) });
    approvals = createApprovalRuntime(config, logger);
  } catch (err) {
    await instance.stop();
    await audit.close();
    throw err;
  }
  let broker: Broker;
  try {
    broker = typeof options.broker === 'function' ? await options.broker(config, clock, logger) : options.broker;
  } catch (err) {
    await instance.stop();
    await audit.close();
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
    approvals,
    clock,
    metrics,
    logger,
    startedAt,
    instance,
    resolveAccount: (account) => resolveAccount(broker, account),
    identityFor: (accountId) => brokerIdentity(config, accountId),
    scope: () => {
      const accounts = broker.accounts();
      return { identities: accounts.map((a) => brokerIdentity(config, a)), accounts };
    },
  };
  const quotes = new QuoteHub(broker, logger);
  // Every order version recorded from here on (order path, broker events, reconciliation) wakes the event streams.
  const orderEvents = new OrderEventFeed(audit);
  notifyOnRecord(audit, orderEvents);
  const client = buildClient({ ctx, quotes, startedAt: ctx.startedAt, version: VERSION, orderEvents, fresh: options.context });

  let exposure: ExposurePublisher | null = null;
  // Start-up is system work with its own correlation id (no AsyncLocalStorage context: logging.ts says why).
  const startup = forRequest(ctx, systemContext());
  await (async () => {
    await audit.append(auditRow(startup, 'CONFIG_LOADED', { config: publicConfig(config), version: VERSION }, { accountId: null, orderId: null, snapshot: null }));
    if (options.connect === false) return;
    try {
      await broker.connect();
      // Orders are settled against the broker before the client accepts new ones.
      await reconcileOrders(ctx);
      // With desk limits, the other gateways count this one's accounts from its first publication on.
      exposure = startExposurePublisher(ctx);
      await exposure.publishNow();
    } catch (err) {
      await exposure?.stop();
      await broker.close().catch(() => undefined);
      await instance.stop();
      await audit.close();
      throw err;
    }
  })();
  const detach = attachOrderEvents(ctx, {
    // The breaker's switch is engaged by the system, under the correlation id of the request that tripped it.
    onBreaker: (reason, request) =>
      handOver(request ?? systemContext(), () => client.setKillSwitch(true, reason)).then(
        () => undefined,
        (err: unknown) => logger.error({ err }, 'circuit breaker could not engage the kill switch'),
      ),
    onReconnect: () => void reconcileOrders(ctx).catch((err: unknown) => logger.error({ err }, 'reconciliation after reconnect failed')),
  });
  const stopSweep = startExpirySweep(ctx);
  const stopFollowing = options.connect !== false && options.followKillSwitch !== false ? followKillSwitch(ctx) : () => undefined;
  const close = client.close.bind(client);
  client.close = async () => {
    stopFollowing();
    stopSweep();
    await exposure?.stop();
    approvals.notifier.close();
    detach();
    await close();
  };
  return client;
}

/**
 * Which broker an order is sent to: the simulator's account, or the TWS/IB
 * Gateway endpoint, account and client id. Orders are reconciled, adopted and
 * cancelled only by the connection with their identity.
 */
export function brokerIdentity(config: Pick<Config, 'broker' | 'ibkr'>, accountId: string): string {
  return config.broker === 'sim' ? `sim:${accountId}` : `tws:${config.ibkr.host}:${config.ibkr.port}:${accountId}:${config.ibkr.clientId}`;
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
