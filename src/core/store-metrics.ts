/**
 * Store latency in /metrics: every AuditStore call of the running gateway is
 * timed into ibkr_gateway_store_operation_seconds{store, operation}, and
 * ibkr_gateway_store_info{store} says which back end is in use (1).
 *
 * A write's time is what its caller waits for: until the row is committed
 * with the durability asked for (group commit included), so the histogram of
 * append / recordOrder is the commit latency an order sees before transmit.
 * Reads are the query time (on PostgreSQL, the network round trip included).
 *
 * The order path calls the store several times per order, so observing costs
 * no label hashing: each operation's series is made once, when the store is
 * instrumented, and an observation is a bucket scan and two additions (the
 * same reasoning as request-histogram.ts).
 */
import type { Metric, Registry } from 'prom-client';
import type { AuditStore } from './audit/types.js';
import type { Metrics } from './metrics.js';

/** Every method that touches the database (close excluded: it is not an operation anyone waits on per request). */
const OPERATIONS = [
  'append',
  'recordOrder',
  'updateOrder',
  'recordNewOrders',
  'getOrder',
  'getOrderVersions',
  'listOrders',
  'openOrders',
  'countPlaced',
  'countModifications',
  'lastPlacedWithKey',
  'rateFacts',
  'changeMark',
  'stateMark',
  'fillsSince',
  'maxNumericOrderId',
  'findOrderByClientOrderId',
  'orderEvents',
  'lastOrderSequence',
  'query',
  'verify',
  'peekIdempotent',
  'beginIdempotent',
  'completeIdempotent',
  'completeIdempotentFrom',
  'releaseIdempotent',
  'getState',
  'setState',
] as const satisfies ReadonlyArray<keyof AuditStore>;

/** From a local SQLite read (tens of µs) to a PostgreSQL outage's time-out. */
export const STORE_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5] as const;

interface Series {
  labels: { store: string; operation: string };
  counts: Float64Array;
  sum: number;
  count: number;
}

/** A histogram whose series are fixed up front; registered with the registry by duck type, as RequestHistogram is. */
export class StoreHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name = 'ibkr_gateway_store_operation_seconds';
  readonly help = 'Audit store operation latency by back end and operation (writes: until committed)';
  private readonly series: Series[] = [];

  constructor(registry: Registry) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** The observer of one operation's series. */
  seriesOf(store: string, operation: string): (seconds: number) => void {
    const s: Series = { labels: { store, operation }, counts: new Float64Array(STORE_BUCKETS.length + 1), sum: 0, count: 0 };
    this.series.push(s);
    return (seconds) => {
      let i = 0;
      while (i < STORE_BUCKETS.length && seconds > (STORE_BUCKETS[i] as number)) i++;
      s.counts[i] = (s.counts[i] as number) + 1;
      s.sum += seconds;
      s.count += 1;
    };
  }

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> }> {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    // Only operations that happened: a scrape is not padded with two dozen empty series.
    for (const s of this.series) {
      if (s.count === 0) continue;
      let cumulative = 0;
      STORE_BUCKETS.forEach((bound, i) => {
        cumulative += s.counts[i] as number;
        values.push({ labels: { le: bound, ...s.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void {
    for (const s of this.series) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}

type AnyCall = (...args: unknown[]) => Promise<unknown>;

/** Times every store operation of `audit` (in place: every holder of the object is measured) and publishes its kind. */
export function instrumentStore(audit: AuditStore, metrics: Metrics): void {
  metrics.storeInfo.set({ store: audit.kind }, 1);
  const methods = audit as unknown as Record<(typeof OPERATIONS)[number], AnyCall>;
  for (const operation of OPERATIONS) {
    const call = methods[operation].bind(audit);
    const observe = metrics.storeOperationSeconds.seriesOf(audit.kind, operation);
    methods[operation] = (...args) => {
      const started = performance.now();
      const done = (): void => observe((performance.now() - started) / 1000);
      // The caller gets the store's own promise: no extra async frame or microtask turns before it settles.
      const pending = call(...args);
      pending.then(done, done);
      return pending;
    };
  }
}
