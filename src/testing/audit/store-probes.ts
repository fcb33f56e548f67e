/**
 * Test support for what a store does, not only what it answers: the SQL it
 * runs, and how often a caller asked it for an operation. Both are how the
 * remembered reads (fills, named states, the kill switch's and the circuit
 * breaker's marks) prove that they skip the table, and read it again when
 * another connection has written.
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, vi } from 'vitest';
import { openAuditStore, type SqliteAuditStore } from '../../core/audit/sqlite/store.js';
import type { Clock } from '../../core/clock.js';
import { createMetrics, type Metrics } from '../../core/metrics.js';
import { instrumentStore } from '../../core/store-metrics.js';
import { tempDir } from './samples.js';

/** The SQL of every statement run while `fn` runs (better-sqlite3's Statement methods, spied on their prototype). */
export async function statementsRun(fn: () => Promise<unknown>): Promise<string[]> {
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<'get' | 'all' | 'iterate' | 'run', (...args: unknown[]) => unknown>;
  probe.close();
  const seen: string[] = [];
  for (const method of ['get', 'all', 'iterate', 'run'] as const) {
    const original = proto[method];
    vi.spyOn(proto, method).mockImplementation(function (this: Database.Statement, ...args: unknown[]) {
      seen.push(this.source);
      return original.apply(this, args);
    });
  }
  try {
    await fn();
  } finally {
    vi.restoreAllMocks();
  }
  return seen;
}

export interface TwoStores {
  /** The handle under test, its operations counted. */
  mine: SqliteAuditStore;
  /** Another process's handle on the same file. */
  other: SqliteAuditStore;
  /** How many times `mine` was asked for `operation` so far. */
  calls(operation: string): Promise<number>;
}

/** Before each test, two handles on one fresh audit.db (synchronous=NORMAL), closed and removed after it. Call at a test file's top level. */
export function useTwoStores(clock?: Clock): TwoStores {
  let metrics: Metrics;
  let cleanup: () => void = () => undefined;
  const current = {
    async calls(operation: string): Promise<number> {
      const line = (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith('ibkr_gateway_store_operation_seconds_count{') && l.includes(`operation="${operation}"`));
      return line === undefined ? 0 : Number(line.split(' ').at(-1));
    },
  } as TwoStores;
  beforeEach(() => {
    const dir = tempDir();
    cleanup = dir.cleanup;
    current.mine = openAuditStore({ dataDir: dir.dir, synchronous: 'NORMAL', clock });
    current.other = openAuditStore({ dataDir: dir.dir, synchronous: 'NORMAL', clock });
    metrics = createMetrics();
    instrumentStore(current.mine, metrics);
  });
  afterEach(async () => {
    await current.mine.close();
    await current.other.close();
    cleanup();
  });
  return current;
}
