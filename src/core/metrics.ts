/**
 * Prometheus metrics. Each client owns its own registry (so several clients in
 * one process, as in tests, do not collide); the REST API serves it at /metrics.
 */
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import { Counter, Gauge, Registry } from './prom.js';
import { BrokerCallMetrics } from './broker-call-metrics.js';
import { RequestHistogram } from './request-histogram.js';
import { StoreHistogram } from './store-metrics.js';

export interface Metrics {
  registry: Registry;
  /** Broker calls by method and outcome, and their latency: O(1) per call, see broker-call-metrics.ts. */
  brokerCalls: BrokerCallMetrics;
  ordersByStatus: Counter<'status'>;
  errorsByCode: Counter<'code'>;
  /** Observed on every HTTP request: O(1), see request-histogram.ts. */
  httpRequestSeconds: RequestHistogram;
  auditAppends: Counter<'event_type'>;
  riskBlocks: Counter<'check'>;
  /** Audit store latency per operation (store-metrics.ts instruments the store). */
  storeOperationSeconds: StoreHistogram;
  /** 1 for the back end in use ('sqlite' or 'postgres'). */
  storeInfo: Gauge<'store'>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) {
    // Only on request: the index (and what it loads) stays out of a normal start (prom.ts).
    const { collectDefaultMetrics } = createRequire(import.meta.url)('prom-client') as typeof PromClient;
    collectDefaultMetrics({ register: registry, prefix: 'ibkr_gateway_' });
  }
  const registers = [registry];
  return {
    registry,
    brokerCalls: new BrokerCallMetrics(registry),
    ordersByStatus: new Counter({ name: 'ibkr_gateway_orders_total', help: 'Orders by resulting status', labelNames: ['status'], registers }),
    errorsByCode: new Counter({ name: 'ibkr_gateway_errors_total', help: 'Errors by code', labelNames: ['code'], registers }),
    httpRequestSeconds: new RequestHistogram('ibkr_gateway_http_request_seconds', 'HTTP request latency', [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1], registry),
    auditAppends: new Counter({ name: 'ibkr_gateway_audit_appends_total', help: 'Audit rows written by event type', labelNames: ['event_type'], registers }),
    riskBlocks: new Counter({ name: 'ibkr_gateway_risk_blocks_total', help: 'Orders refused by a risk check', labelNames: ['check'], registers }),
    storeOperationSeconds: new StoreHistogram(registry),
    storeInfo: new Gauge({ name: 'ibkr_gateway_store_info', help: 'The audit store back end in use (value 1)', labelNames: ['store'], registers }),
  };
}

const rethrow = (err: unknown): never => {
  throw err;
};

/** timed() for a broker call that answers at once (Broker.quoteNow): the same series, no promise. */
export function timedNow<T>(metrics: Metrics, method: string, fn: () => T): T {
  const started = performance.now();
  let outcome: 'ok' | 'error' = 'error';
  try {
    const result = fn();
    outcome = 'ok';
    return result;
  } finally {
    metrics.brokerCalls.record(method, outcome, (performance.now() - started) / 1000);
  }
}

/**
 * Times a broker call and counts its outcome. One then() instead of an async function's own promise
 * plus an await: on a quote each promise costs a promise hook while request contexts are active.
 * `onError` runs in the same then() after the outcome is counted (the client's error count by code: one
 * promise fewer than a catch() of its own); it throws, as the default does, so the call still rejects.
 */
export function timed<T>(metrics: Metrics, method: string, fn: () => Promise<T>, onError: (err: unknown) => never = rethrow): Promise<T> {
  const started = performance.now();
  const record = (outcome: 'ok' | 'error'): void => metrics.brokerCalls.record(method, outcome, (performance.now() - started) / 1000);
  const failed = (err: unknown): never => {
    record('error');
    return onError(err);
  };
  let pending: Promise<T>;
  try {
    pending = fn();
  } catch (err) {
    return Promise.reject(err as Error).then(undefined, failed);
  }
  return pending.then((result) => {
    record('ok');
    return result;
  }, failed);
}
