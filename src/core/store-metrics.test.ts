/**
 * Store latency in /metrics: an instrumented store (a real SQLite file) counts
 * each operation once in its own series, with its time, and names its kind.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAuditStore, type SqliteAuditStore } from './audit/sqlite/store.js';
import { createMetrics, type Metrics } from './metrics.js';
import { OrderListQuery } from './models.js';
import { STORE_BUCKETS, instrumentStore } from './store-metrics.js';
import { entry, tempDir, version } from '../testing/audit/samples.js';

let dir: ReturnType<typeof tempDir>;
let store: SqliteAuditStore;
let metrics: Metrics;

beforeEach(() => {
  dir = tempDir();
  store = openAuditStore({ dataDir: dir.dir, synchronous: 'NORMAL' });
  metrics = createMetrics();
  instrumentStore(store, metrics);
});
afterEach(async () => {
  await store.close();
  dir.cleanup();
});

/** `name{labels} value` lines of one metric, as numbers by their label text. */
function series(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`).exec(line);
    if (m) out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

describe('store metrics', () => {
  it('names the back end, and times each operation in its own series: counts, a positive sum, cumulative buckets', async () => {
    await store.append(entry({ orderId: null }));
    await store.append(entry({ orderId: null }));
    await store.recordOrder(entry({ orderId: '1' }), version('1'));
    await store.listOrders(OrderListQuery.parse({}));
    const text = await metrics.registry.metrics();

    expect(text).toContain('ibkr_gateway_store_info{store="sqlite"} 1');
    const counts = series(text, 'ibkr_gateway_store_operation_seconds_count');
    expect(counts.get('store="sqlite",operation="append"')).toBe(2);
    expect(counts.get('store="sqlite",operation="recordOrder"')).toBe(1);
    expect(counts.get('store="sqlite",operation="listOrders"')).toBe(1);
    // Operations never called print no series.
    expect([...counts.keys()].some((k) => k.includes('operation="verify"'))).toBe(false);
    expect(series(text, 'ibkr_gateway_store_operation_seconds_sum').get('store="sqlite",operation="append"')).toBeGreaterThan(0);

    const buckets = [...series(text, 'ibkr_gateway_store_operation_seconds_bucket')].filter(([k]) => k.includes('operation="append"'));
    expect(buckets).toHaveLength(STORE_BUCKETS.length + 1);
    const values = buckets.map(([, v]) => v);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(values.at(-1)).toBe(2);
  });

  it('times a failed operation too, and the failure still reaches the caller', async () => {
    await store.recordOrder(entry({ orderId: '1' }), version('1', 'SUBMITTED', { clientOrderId: 'c' }));
    await expect(store.recordOrder(entry({ orderId: '2' }), version('2', 'SUBMITTED', { clientOrderId: 'c' }))).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    const counts = series(await metrics.registry.metrics(), 'ibkr_gateway_store_operation_seconds_count');
    expect(counts.get('store="sqlite",operation="recordOrder"')).toBe(2);
  });
});
