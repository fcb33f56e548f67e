/**
 * The circuit breaker's count (storeHistory().rejectionStreak) is read after
 * every order's outcome. It is kept while the store's state mark stands, as
 * the kill switch is: the order path's own rows do not make it re-read, and a
 * change made anywhere (this handle's setRejectionStreak, another process's
 * write) is read at the next call. Real SQLite files, two handles.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAuditStore, type SqliteAuditStore } from '../audit/sqlite/store.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { instrumentStore } from '../store-metrics.js';
import { entry, tempDir, version } from '../../testing/audit/samples.js';
import { storeHistory } from './history.js';

let dir: ReturnType<typeof tempDir>;
let mine: SqliteAuditStore;
let other: SqliteAuditStore;
let metrics: Metrics;

beforeEach(() => {
  dir = tempDir();
  mine = openAuditStore({ dataDir: dir.dir, synchronous: 'NORMAL' });
  other = openAuditStore({ dataDir: dir.dir, synchronous: 'NORMAL' });
  metrics = createMetrics();
  instrumentStore(mine, metrics);
});
afterEach(async () => {
  await mine.close();
  await other.close();
  dir.cleanup();
});

/** How many times `mine` was asked for a named state. */
async function stateReads(): Promise<number> {
  const line = (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith('ibkr_gateway_store_operation_seconds_count{') && l.includes('operation="getState"'));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

describe("the circuit breaker's count on a store", () => {
  it("is read once while only orders are written, and again after this handle's change and another process's", async () => {
    const history = storeHistory(mine);
    const theirs = storeHistory(other);
    expect(await history.rejectionStreak()).toBe(0);
    await mine.recordOrder(entry({ orderId: '1' }), version('1'));
    expect(await history.rejectionStreak()).toBe(0);
    expect(await stateReads()).toBe(1);

    await history.setRejectionStreak(2);
    expect(await history.rejectionStreak()).toBe(2);
    expect(await stateReads()).toBe(2);

    await theirs.setRejectionStreak(3);
    expect(await history.rejectionStreak()).toBe(3);
    await theirs.setRejectionStreak(0);
    expect(await history.rejectionStreak()).toBe(0);
    expect(await stateReads()).toBe(4);
  });
});
