/**
 * prom-client's Registry, Counter and Gauge, loaded from their own files.
 *
 * prom-client's index also loads its default-metrics collectors (which bring
 * @opentelemetry/api), the Pushgateway (http, https, zlib) and the cluster
 * aggregator: ~130 modules and ~45 ms of CPU at every start, for parts the
 * gateway never uses. These are the same classes the index exports (one file,
 * one module instance), so a Registry from here and one from 'prom-client'
 * are interchangeable. Types come from the package's own declarations.
 */
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';

const requireCjs = createRequire(import.meta.url);

export const Registry = requireCjs('prom-client/lib/registry.js') as typeof PromClient.Registry;
export type Registry = PromClient.Registry;
export const Counter = requireCjs('prom-client/lib/counter.js') as typeof PromClient.Counter;
export type Counter<T extends string = string> = PromClient.Counter<T>;
export const Gauge = requireCjs('prom-client/lib/gauge.js') as typeof PromClient.Gauge;
export type Gauge<T extends string = string> = PromClient.Gauge<T>;
