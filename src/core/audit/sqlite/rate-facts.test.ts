/**
 * The rate limits' one read (rate-facts.ts) on SQLite: each of its parts is a search in the index its
 * single-purpose read uses, never a scan, so one statement costs what those lookups cost however long the
 * history grows.
 */
import { describe, expect, it } from 'vitest';
import { useTempSqliteStore } from '../../../testing/audit/temp-store.js';
import { rateFactsSql } from '../rate-facts.js';

const temp = useTempSqliteStore();

describe('the rate facts statement on SQLite', () => {
  it('searches the placements index three times, the modifications index twice and the risk-key index once; it scans nothing', () => {
    const plan = temp.withFile((db) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${rateFactsSql((name) => `@${name}`, 'audit_log INDEXED BY audit_log_modifications')}`).all({ minute: 'a', day: 'b', to: 'c', key: 'k' }) as Array<{ detail: string }>).map(
        (r) => r.detail,
      ),
    );
    const searches = plan.filter((d) => d.startsWith('SEARCH'));
    expect(searches.filter((d) => d.includes('INDEX order_history_placed ('))).toHaveLength(3);
    expect(searches.filter((d) => d.includes('INDEX audit_log_modifications ('))).toHaveLength(2);
    expect(searches.filter((d) => d.includes('INDEX order_history_risk_key ('))).toHaveLength(1);
    expect(searches).toHaveLength(6);
    expect(plan.filter((d) => d.startsWith('SCAN') && d !== 'SCAN CONSTANT ROW')).toEqual([]);
  });
});
