import * as PromClient from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Counter, Gauge, Registry } from './prom.js';

describe('prom-client loaded by file', () => {
  it('is the very classes the package exports, so registries and counters mix with the package\'s', async () => {
    expect(Registry).toBe(PromClient.Registry);
    expect(Counter).toBe(PromClient.Counter);
    expect(Gauge).toBe(PromClient.Gauge);
    const registry = new Registry();
    const counter = new Counter({ name: 'test_things_total', help: 'things', registers: [registry] });
    counter.inc(2);
    expect(registry.getSingleMetric('test_things_total')).toBeInstanceOf(PromClient.Counter);
    expect(await PromClient.Registry.merge([registry]).metrics()).toContain('test_things_total 2\n');
  });
});
