/**
 * What every step of the order path shares: the parts it uses, the request it
 * serves (forRequest) and the helpers that stamp that request's context on
 * audit rows.
 */
import type { Broker } from '../broker/port.js';
import type { AuditAppend, AuditStore, OrderScope, WriteOptions } from '../audit/types.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { ContractResolver } from '../contracts.js';
import type { ConfigSnapshot } from '../gates.js';
import type { GatewayInstance } from '../instance.js';
import type { KillSwitch } from '../kill-switch.js';
import { contextOf, loggerFor, type Logger, type RequestContext } from '../logging.js';
import type { Metrics } from '../metrics.js';
import type { AuditEventType, UserContext } from '../models.js';
import type { PreviewRegistry } from '../previews.js';
import type { RiskEngine } from '../risk/types.js';
import type { ApprovalNotifier } from '../approvals/webhook.js';
import type { ApprovalRules } from '../models.js';

/** What holding orders for approval needs: the APPROVAL_FILE rules and the webhook. */
export interface ApprovalRuntime {
  rules: ApprovalRules | null;
  notifier: ApprovalNotifier;
}

export interface OrderContext {
  config: Config;
  broker: Broker;
  audit: AuditStore;
  risk: RiskEngine;
  killSwitch: KillSwitch;
  contracts: ContractResolver;
  previews: PreviewRegistry;
  approvals: ApprovalRuntime;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  /** When this client started (clock ms). */
  startedAt: number;
  /** This gateway among others on the store: whose idempotency claims are abandoned, and its own lease (instance.ts). */
  instance: GatewayInstance;
  /** The account an order goes to: the one named, else the first managed account. */
  resolveAccount(account?: string): string;
  /** The broker identity an order of this account is recorded under ('sim:DU1234567', 'tws:host:port:account:clientId'). */
  identityFor(accountId: string): string;
  /**
   * The orders this broker connection owns. Reconciliation, adoption, the
   * event handlers, cancellation and the open-order list touch nothing else,
   * so two brokers sharing a DATA_DIR never change each other's orders.
   */
  scope(): OrderScope;
  /**
   * Engages the kill switch for the circuit breaker; set by attachOrderEvents. Rejections are
   * counted wherever their status is recorded: a tws placement's own answer often records the
   * REJECTED before the status event, which then changes nothing.
   */
  onBreaker?: (reason: string, request?: RequestContext) => Promise<void>;
  /**
   * The request this work serves, carried explicitly (no AsyncLocalStorage: logging.ts says why); set by
   * forRequest. Unset on the client's own context: rows and lines then take a library user's withContext
   * store, or a fresh id.
   */
  request?: RequestContext;
}

const UNBOUND = Symbol('the client logger, without a request');
const LAYER = Symbol('the prototype of the request contexts made from this one');
type Layered = OrderContext & { [UNBOUND]?: Logger; [LAYER]?: OrderContext };

/**
 * The prototype every request context made from `ctx` shares: `ctx`'s parts (its own prototype) and a lazy
 * `logger` whose lines carry the request's ids, made at the context's first line (pino serialises a child's
 * bindings when it is made) and then kept on that context. Made once per `ctx`, kept on it: each request's
 * context is then one object with one own property (`request`), all of one shape, instead of an accessor
 * defined per request (a closure and a property definition, several times per order: the request and each
 * broker event).
 */
function layerOf(ctx: OrderContext): OrderContext {
  const own = Object.prototype.hasOwnProperty.call(ctx, LAYER) ? (ctx as Layered)[LAYER] : undefined;
  if (own !== undefined) return own;
  const layer = Object.create(ctx) as Layered;
  // The client's own logger, also when `ctx` serves a request already: one request's ids per line.
  const unbound = (ctx as Layered)[UNBOUND] ?? ctx.logger;
  layer[UNBOUND] = unbound;
  Object.defineProperty(layer, 'logger', {
    configurable: true,
    get(this: OrderContext) {
      // Read only on a request context (forRequest sets `request` on each); the layer itself serves none.
      const logger = this.request === undefined ? unbound : loggerFor(unbound, this.request);
      Object.defineProperty(this, 'logger', { value: logger });
      return logger;
    },
  });
  Object.defineProperty(ctx, LAYER, { value: layer });
  return layer;
}

/**
 * The order context for one request: the same parts (the prototype), with `request` set and a logger whose
 * lines carry its ids, made at its first line (layerOf).
 */
export function forRequest(ctx: OrderContext, request: RequestContext): OrderContext {
  const scoped = Object.create(layerOf(ctx)) as OrderContext;
  scoped.request = request;
  return scoped;
}

/** The request `ctx` serves (see OrderContext.request). */
export const requestOf = (ctx: Pick<OrderContext, 'request'>): RequestContext => contextOf(ctx.request);

/** Write options naming the request `ctx` serves, so the state_log rows of the write carry its correlation id. */
export const writeFor = (ctx: Pick<OrderContext, 'request'>, options?: WriteOptions): WriteOptions => ({ ...options, correlationId: requestOf(ctx).correlationId });


/** The request's correlation id and caller, taken now for rows built later (inside a store transaction, AuditStore.updateOrder). */
export interface RowStamp {
  correlationId: string;
  userContext: UserContext;
}

export function rowStamp(ctx: Pick<OrderContext, 'request'>): RowStamp {
  const request = requestOf(ctx);
  return { correlationId: request.correlationId, userContext: { interface: request.interface, apiKeyName: request.apiKeyName } };
}

type RowRefs = { accountId: string | null; orderId: string | null; snapshot: ConfigSnapshot | null };

/** An audit row stamped with the correlation id and caller of the request `ctx` serves. */
export function auditRow(ctx: Pick<OrderContext, 'request'>, eventType: AuditEventType, eventData: Record<string, unknown>, refs: RowRefs): AuditAppend {
  return stampedRow(rowStamp(ctx), eventType, eventData, refs);
}

/** An audit row stamped with a request's correlation id and caller taken earlier (rowStamp). */
export function stampedRow(stamp: RowStamp, eventType: AuditEventType, eventData: Record<string, unknown>, refs: RowRefs): AuditAppend {
  return {
    correlationId: stamp.correlationId,
    eventType,
    eventData,
    userContext: stamp.userContext,
    accountId: refs.accountId,
    orderId: refs.orderId,
    configSnapshot: refs.snapshot,
  };
}
