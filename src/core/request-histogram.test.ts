import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestHistogram } from './request-histogram.js';

describe('RequestHistogram (ibkr_gateway_http_request_seconds)', () => {
  it('prints Prometheus buckets (cumulative, le="+Inf" the count), _sum and _count per method, route and status', async () => {
    const registry = new Registry();
    const histogram = new RequestHistogram('test_http_seconds', 'HTTP request latency', [0.001, 0.01], registry);
    histogram.observe('GET', '/api/market/quote', 200, 0.0005);
    histogram.observe('GET', '/api/market/quote', 200, 0.005);
    histogram.observe('GET', '/api/market/quote', 200, 0.5);
    histogram.observe('GET', '/api/market/quote', 401, 0.0001);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE test_http_seconds histogram');
    const series = 'method="GET",route="/api/market/quote",status="200"';
    expect(text).toContain(`test_http_seconds_bucket{le="0.001",${series}} 1\n`);
    expect(text).toContain(`test_http_seconds_bucket{le="0.01",${series}} 2\n`);
    expect(text).toContain(`test_http_seconds_bucket{le="+Inf",${series}} 3\n`);
    expect(text).toContain(`test_http_seconds_sum{${series}} 0.5055\n`);
    expect(text).toContain(`test_http_seconds_count{${series}} 3\n`);
    expect(text).toContain('test_http_seconds_count{method="GET",route="/api/market/quote",status="401"} 1\n');
  });

  it('resets with the registry', async () => {
    const registry = new Registry();
    const histogram = new RequestHistogram('test_reset_seconds', 'h', [1], registry);
    histogram.observe('POST', '/x', 200, 0.1);
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('test_reset_seconds_count');
  });
});
