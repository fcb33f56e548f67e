/**
 * On-disk cache of historical bars (SQLite, `${dataDir}/bars.db`): bars per
 * series (conId, bar size, what to show, RTH) and the time ranges already
 * fetched. A request is answered from the cache where it is covered, and only
 * the missing ranges go to IBKR, which keeps repeated and overlapping requests
 * clear of IBKR's historical pacing limits.
 *
 * The bar still forming at "now" is never recorded as covered on disk; a
 * recent fetch of it is trusted in memory for a short while only.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { preparePrivateSqlite } from '../../core/audit/private-files.js';
import type { Bar } from '../../core/models.js';

export type Range = [number, number];

/** Parts of [start, end] not covered by `covered` (which need not be sorted or merged). */
export function missingRanges(start: number, end: number, covered: readonly Range[]): Range[] {
  const sorted = [...covered].filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: Range[] = [];
  let cursor = start;
  for (const [a, b] of sorted) {
    if (b <= cursor) continue;
    if (a >= end) break;
    if (a > cursor) out.push([cursor, Math.min(a, end)]);
    cursor = Math.max(cursor, b);
    if (cursor >= end) break;
  }
  if (cursor < end) out.push([cursor, end]);
  return out;
}

/** Merges overlapping or touching ranges. */
export function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

export class BarCache {
  private readonly db: Database.Database;
  private readonly recent = new Map<string, { range: Range; at: number }[]>();

  constructor(dataDir: string) {
    fs.mkdirSync(dataDir, { recursive: true });
    // Orders, fills and account ids are as private as the audit log.
    const file = path.join(dataDir, 'bars.db');
    preparePrivateSqlite(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS bars (series TEXT NOT NULL, t INTEGER NOT NULL, bar TEXT NOT NULL, PRIMARY KEY (series, t));
      CREATE TABLE IF NOT EXISTS coverage (series TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS coverage_series ON coverage (series);
    `);
  }

  close(): void {
    this.db.close();
  }

  /** Ranges covered on disk, plus those fetched within `freshMs` of wall time `wallNow`. */
  covered(series: string, wallNow: number, freshMs: number): Range[] {
    const rows = this.db.prepare('SELECT start, end FROM coverage WHERE series = ?').all(series) as { start: number; end: number }[];
    const disk: Range[] = rows.map((r) => [r.start, r.end]);
    const fresh = (this.recent.get(series) ?? []).filter((r) => wallNow - r.at < freshMs);
    this.recent.set(series, fresh);
    return [...disk, ...fresh.map((r) => r.range)];
  }

  /** Stores fetched bars; `durable` is the part of the range that can never change again, `provisional` the part still forming. */
  store(series: string, bars: readonly Bar[], durable: Range | null, provisional: Range | null, wallNow: number): void {
    const put = this.db.prepare('INSERT OR REPLACE INTO bars (series, t, bar) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      for (const b of bars) put.run(series, Date.parse(b.time), JSON.stringify(b));
      if (durable && durable[1] > durable[0]) {
        const rows = this.db.prepare('SELECT start, end FROM coverage WHERE series = ?').all(series) as { start: number; end: number }[];
        const merged = mergeRanges([...rows.map((r): Range => [r.start, r.end]), durable]);
        this.db.prepare('DELETE FROM coverage WHERE series = ?').run(series);
        const add = this.db.prepare('INSERT INTO coverage (series, start, end) VALUES (?, ?, ?)');
        for (const [a, b] of merged) add.run(series, a, b);
      }
    })();
    if (provisional && provisional[1] > provisional[0]) {
      const list = this.recent.get(series) ?? [];
      list.push({ range: provisional, at: wallNow });
      this.recent.set(series, list);
    }
  }

  /** Bars of a series with start time in [start, end]. */
  bars(series: string, start: number, end: number): Bar[] {
    const rows = this.db.prepare('SELECT bar FROM bars WHERE series = ? AND t >= ? AND t <= ? ORDER BY t').all(series, start, end) as { bar: string }[];
    return rows.map((r) => JSON.parse(r.bar) as Bar);
  }
}
