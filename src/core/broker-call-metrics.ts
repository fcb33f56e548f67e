/**
 * Broker call metrics: ibkr_gateway_broker_calls_total{method,outcome} and the
 * ibkr_gateway_broker_call_seconds{method} histogram, recorded by timed() for
 * every broker call (every quote request makes one).
 *
 * prom-client validates and hashes the label object on each inc() and each
 * observe() (~3% of a quote request's CPU in a profile); here a call finds its
 * method's series in one Map and counts into preallocated numbers, and the
 * registry reads both metrics by duck type at scrape time, as it does
 * request-histogram.ts's, printing the same lines prom-client did.
 */
import type { Metric, Registry } from 'prom-client';

export type CallOutcome = 'ok' | 'error';

interface MethodSeries {
  method: string;
  ok: number;
  error: number;
  /** counts[i]: calls in (bounds[i-1], bounds[i]]; the last slot is above every bound. */
  counts: Float64Array;
  sum: number;
}

interface ExportedValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

interface Exported {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  values: ExportedValue[];
}

export class BrokerCallMetrics {
  private readonly byMethod = new Map<string, MethodSeries>();

  constructor(
    registry: Registry,
    private readonly bounds: readonly number[] = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
  ) {
    const reset = (): void => this.byMethod.clear();
    const counter = { name: 'ibkr_gateway_broker_calls_total', help: 'Broker calls by method and outcome', type: 'counter', aggregator: 'sum', get: () => this.counterValues(), reset };
    const histogram = { name: 'ibkr_gateway_broker_call_seconds', help: 'Broker call latency', type: 'histogram', aggregator: 'sum', get: () => this.histogramValues(), reset };
    registry.registerMetric(counter as unknown as Metric);
    registry.registerMetric(histogram as unknown as Metric);
  }

  record(method: string, outcome: CallOutcome, seconds: number): void {
    let series = this.byMethod.get(method);
    if (series === undefined) {
      series = { method, ok: 0, error: 0, counts: new Float64Array(this.bounds.length + 1), sum: 0 };
      this.byMethod.set(method, series);
    }
    if (outcome === 'ok') series.ok += 1;
    else series.error += 1;
    let i = 0;
    while (i < this.bounds.length && seconds > (this.bounds[i] as number)) i++;
    series.counts[i] = (series.counts[i] as number) + 1;
    series.sum += seconds;
  }

  private counterValues(): Promise<Exported> {
    const values: ExportedValue[] = [];
    for (const s of this.byMethod.values()) {
      if (s.ok > 0) values.push({ labels: { method: s.method, outcome: 'ok' }, value: s.ok });
      if (s.error > 0) values.push({ labels: { method: s.method, outcome: 'error' }, value: s.error });
    }
    return Promise.resolve({ name: 'ibkr_gateway_broker_calls_total', help: 'Broker calls by method and outcome', type: 'counter', aggregator: 'sum', values });
  }

  private histogramValues(): Promise<Exported> {
    const name = 'ibkr_gateway_broker_call_seconds';
    const values: ExportedValue[] = [];
    for (const s of this.byMethod.values()) {
      const count = s.ok + s.error;
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += s.counts[i] as number;
        values.push({ labels: { le: bound, method: s.method }, value: cumulative, metricName: `${name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', method: s.method }, value: count, metricName: `${name}_bucket` });
      values.push({ labels: { method: s.method }, value: s.sum, metricName: `${name}_sum` });
      values.push({ labels: { method: s.method }, value: count, metricName: `${name}_count` });
    }
    return Promise.resolve({ name, help: 'Broker call latency', type: 'histogram', aggregator: 'sum', values });
  }
}
