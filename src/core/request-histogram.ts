/**
 * The HTTP request latency histogram (ibkr_gateway_http_request_seconds),
 * observed once per request at O(1) with no allocation once a route has
 * answered with a status before: series are found through small nested maps
 * (route, method, status) and counted in a preallocated Float64Array.
 *
 * prom-client's Histogram.observe validates the label object, hashes it into
 * a string and builds the label object the caller passed, on every request;
 * on the quote route that cost a few percent of the whole request. This keeps
 * prom-client's exposition: the registry asks get() at scrape time, as it
 * asks its own metrics, and prints the usual _bucket/_sum/_count lines.
 */
import type { Metric, Registry } from 'prom-client';

interface Series {
  labels: { method: string; route: string; status: string };
  /** counts[i]: observations in (bounds[i-1], bounds[i]]; the last slot is above every bound. */
  counts: Float64Array;
  sum: number;
  count: number;
}

interface ExportedValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

export class RequestHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly byRoute = new Map<string, Map<string, Map<number, Series>>>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    // The registry reads metrics by duck type (name, help, type, get, reset); this is one.
    registry.registerMetric(this as unknown as Metric);
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    let byMethod = this.byRoute.get(route);
    if (byMethod === undefined) this.byRoute.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (series === undefined) {
      series = { labels: { method, route, status: String(status) }, counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      byStatus.set(status, series);
    }
    let i = 0;
    while (i < this.bounds.length && seconds > (this.bounds[i] as number)) i++;
    series.counts[i] = (series.counts[i] as number) + 1;
    series.sum += seconds;
    series.count += 1;
  }

  /** prom-client's exposition shape (le first, as its Histogram prints it): cumulative buckets, then _sum and _count, per series. */
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: ExportedValue[] }> {
    const values: ExportedValue[] = [];
    for (const byMethod of this.byRoute.values()) {
      for (const byStatus of byMethod.values()) {
        for (const series of byStatus.values()) {
          let cumulative = 0;
          this.bounds.forEach((bound, i) => {
            cumulative += series.counts[i] as number;
            values.push({ labels: { le: bound, ...series.labels }, value: cumulative, metricName: `${this.name}_bucket` });
          });
          values.push({ labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: `${this.name}_bucket` });
          values.push({ labels: series.labels, value: series.sum, metricName: `${this.name}_sum` });
          values.push({ labels: series.labels, value: series.count, metricName: `${this.name}_count` });
        }
      }
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void {
    this.byRoute.clear();
  }
}
