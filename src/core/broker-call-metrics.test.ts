import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BrokerCallMetrics } from './broker-call-metrics.js';
import { createMetrics, timed } from './metrics.js';

const CALLS: Array<[string, 'ok' | 'error', number]> = [
  ['getQuote', 'ok', 0.0002],
  ['getQuote', 'ok', 0.003],
  ['getQuote', 'error', 0.7],
  ['resolveContracts', 'ok', 0.0005],
  ['getPositions', 'error', 12],
];

describe('broker call metrics', () => {
  it('print exactly what prom-client\'s Counter and Histogram printed for the same calls', async () => {
    const ours = new Registry();
    const metrics = new BrokerCallMetrics(ours);
    const theirs = new Registry();
    const calls = new Counter({ name: 'ibkr_gateway_broker_calls_total', help: 'Broker calls by method and outcome', labelNames: ['method', 'outcome'], registers: [theirs] });
    const seconds = new Histogram({ name: 'ibkr_gateway_broker_call_seconds', help: 'Broker call latency', labelNames: ['method'], buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [theirs] });
    for (const [method, outcome, s] of CALLS) {
      metrics.record(method, outcome, s);
      calls.inc({ method, outcome });
      seconds.observe({ method }, s);
    }
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('ibkr_gateway_broker_calls_total{method="getQuote",outcome="error"} 1\n');
    expect(text).toContain('ibkr_gateway_broker_call_seconds_bucket{le="0.005",method="getQuote"} 2\n');
  });

  it('timed() counts a call that resolves as ok and one that throws as error, both timed', async () => {
    const metrics = createMetrics();
    await expect(timed(metrics, 'getQuote', () => Promise.resolve(1))).resolves.toBe(1);
    await expect(timed(metrics, 'getQuote', () => Promise.reject(new Error('no data')))).rejects.toThrow('no data');
    const text = await metrics.registry.metrics();
    expect(text).toContain('ibkr_gateway_broker_calls_total{method="getQuote",outcome="ok"} 1\n');
    expect(text).toContain('ibkr_gateway_broker_calls_total{method="getQuote",outcome="error"} 1\n');
    expect(text).toContain('ibkr_gateway_broker_call_seconds_count{method="getQuote"} 2\n');
    metrics.registry.resetMetrics();
    expect(await metrics.registry.metrics()).not.toContain('method="getQuote"');
  });
});
