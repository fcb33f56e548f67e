/**
 * The row builders both stores use: what a new version of an order keeps from
 * the one before it, when it counts as a placement, and that every row comes
 * out sealed over exactly its stored columns (so verify() on either back end
 * recomputes the same MAC).
 */
import { describe, expect, it } from 'vitest';
import { OrderIdInUseError } from '../errors.js';
import { entry, version } from '../../testing/audit/samples.js';
import { columnsOf, type Row, Sealer, type SortedColumns } from './chain.js';
import { keyFromText } from './key.js';
import { AUDIT_COLUMNS, auditRow, checkedStateValue, HISTORY_COLUMNS, historyRow, STATE_COLUMNS, stateLogRow } from './row-builders.js';
import type { HistoryRow } from './rows.js';

const sealer = new Sealer(keyFromText('k'.repeat(40), 'AUDIT_HMAC_KEY'));
const NOW = '2026-01-05T15:00:00.000Z';
const LATER = '2026-01-05T15:00:01.000Z';
const link = (id: number) => ({ id, prevHash: 'p'.repeat(64) });
const placement = { riskKey: 'rk-1' } as const;
const macHolds = (chain: 'audit_log' | 'order_history' | 'state_log', row: { hash: string }): boolean => {
  const { hash, ...rest } = row;
  return sealer.row(chain, rest as unknown as Row) === hash;
};

describe('historyRow', () => {
  it('starts an order at version 1 with its placement number and risk key, sealed over its columns', () => {
    const row = historyRow(version('7', 'SUBMITTED', { placement, brokerIdentity: 'sim:DU1' }), undefined, link(3), 11, NOW, 42, sealer);
    expect(row).toMatchObject({ id: 3, version: 1, placed_seq: 42, risk_key: 'rk-1', broker_identity: 'sim:DU1', created_at: NOW, updated_at: NOW, audit_id: 11, symbol: 'AAPL' });
    expect(macHolds('order_history', row)).toBe(true);
    expect(macHolds('order_history', { ...row, status: 'FILLED' } as HistoryRow)).toBe(false);
  });

  it('keeps creation time and owner from the version before, and counts no second placement', () => {
    const first: HistoryRow = historyRow(version('7', 'SUBMITTED', { placement, brokerIdentity: 'sim:DU1' }), undefined, link(3), 11, NOW, 42, sealer);
    const next = historyRow(version('7', 'FILLED', { placement, brokerIdentity: 'tws:7' }), first, link(4), 12, LATER, 43, sealer);
    expect(next).toMatchObject({ version: 2, created_at: NOW, updated_at: LATER, broker_identity: 'sim:DU1', placed_seq: null, risk_key: null });
  });

  it('a version that is not a placement carries no placement number even if one is passed', () => {
    expect(historyRow(version('8'), undefined, link(1), 1, NOW, 5, sealer)).toMatchObject({ placed_seq: null, risk_key: null });
  });

  it('refuses to reuse an order id that must be new', () => {
    const first = historyRow(version('7'), undefined, link(1), 1, NOW, null, sealer);
    expect(() => historyRow(version('7', 'SUBMITTED', { expectNew: true }), first, link(2), 2, NOW, null, sealer)).toThrow(OrderIdInUseError);
  });
});

describe('auditRow and stateLogRow', () => {
  it('an audit row names its instrument and is sealed', () => {
    const row = auditRow(entry({ timestamp: '2026-01-05T16:00:00Z' }), link(1), NOW, sealer);
    expect(row).toMatchObject({ id: 1, symbol: 'AAPL', timestamp: '2026-01-05T16:00:00.000Z', prev_hash: 'p'.repeat(64) });
    expect(macHolds('audit_log', row)).toBe(true);
  });

  it('a released idempotency key keeps no owner or request; a state value reads back only while its MAC holds', () => {
    const released = stateLogRow({ kind: 'idempotency', scope: 'place', key: 'k1', change: 'released' }, link(1), NOW, 'corr-1', sealer);
    expect(released).toMatchObject({ name: 'place', key: 'k1', owner: null, request_hash: null, value: null });
    const state = stateLogRow({ kind: 'state', name: 'killSwitch', change: 'set', value: { on: true } }, link(2), NOW, null, sealer);
    expect(checkedStateValue(state, 'killSwitch', sealer, 'the store')).toEqual({ on: true });
    expect(() => checkedStateValue({ ...state, value: '{"on":false}' }, 'killSwitch', sealer, 'the store')).toThrow(/does not match its HMAC: the store was altered/);
  });
});

describe('the column lists rows are sealed over', () => {
  // A builder that set a column its list lacks would seal a row without that column: verify() would then fail on it.
  const built = (): Array<[ 'audit_log' | 'order_history' | 'state_log', { hash: string }, readonly string[]]> => {
    const first = historyRow(version('7', 'SUBMITTED', { placement, brokerIdentity: 'sim:DU1' }), undefined, link(3), 11, NOW, 42, sealer);
    const change = { kind: 'idempotency', scope: 'place', key: 'k1', owner: 'key:a', requestHash: 'h1' } as const;
    return [
      ['audit_log', auditRow(entry(), link(1), NOW, sealer), AUDIT_COLUMNS.names],
      ['audit_log', auditRow(entry({ configSnapshot: { ordersEnabled: true } }), link(2), NOW, sealer), AUDIT_COLUMNS.names],
      ['order_history', first, HISTORY_COLUMNS.names],
      ['order_history', historyRow(version('7', 'FILLED'), first, link(4), 12, LATER, null, sealer), HISTORY_COLUMNS.names],
      ['state_log', stateLogRow({ kind: 'state', name: 'killSwitch', change: 'set', value: { on: true } }, link(1), NOW, null, sealer), STATE_COLUMNS.names],
      ['state_log', stateLogRow({ ...change, change: 'claimed' }, link(2), NOW, 'corr-1', sealer), STATE_COLUMNS.names],
      ['state_log', stateLogRow({ ...change, change: 'completed', resultText: '{"ok":true}' }, link(3), NOW, 'corr-1', sealer), STATE_COLUMNS.names],
      ['state_log', stateLogRow({ kind: 'idempotency', scope: 'place', key: 'k1', change: 'released' }, link(4), NOW, 'corr-1', sealer), STATE_COLUMNS.names],
    ];
  };

  it('are exactly the columns each builder sets, and each row is sealed as a row read back would be checked', () => {
    for (const [chain, row, names] of built()) {
      expect(Object.keys(row).sort()).toEqual(names);
      expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(macHolds(chain, row)).toBe(true);
    }
  });

  it('refuse a column name an object would not hold in sorted order (integer-like, or __proto__)', () => {
    expect(() => columnsOf(['id', '10'])).toThrow(/would not hold in sorted order/);
    expect(() => columnsOf(['id', '__proto__'])).toThrow(/would not hold in sorted order/);
    expect(columnsOf(['b', 'a']).keys).toEqual(['"a":', '"b":']);
  });

  it('refuse a row literal that misorders, misses, adds or misreads a hashed column (its rows would not verify)', () => {
    type R = { a: string; b: string | null; hash: string };
    const columns: Array<keyof R> = ['b', 'a', 'hash'];
    expect(columnsOf<R>(columns, (r) => ({ a: r.a, b: r.b ?? undefined })).content).toBeDefined();
    expect(() => columnsOf<R>(columns, (r) => ({ b: r.b ?? undefined, a: r.a }))).toThrow(/not its hashed columns in sorted order/);
    expect(() => columnsOf<R>(columns, (r) => ({ a: r.a }))).toThrow(/not its hashed columns in sorted order/);
    expect(() => columnsOf<R>(columns, (r) => ({ a: r.a, b: r.b ?? undefined, hash: r.hash }))).toThrow(/not its hashed columns in sorted order/);
    expect(() => columnsOf<R>(columns, (r) => ({ a: r.a, b: r.a }))).toThrow(/not its hashed columns in sorted order/);
  });

  it('give the text of the general path, a null column left out, through each builder literal', () => {
    const rows: Array<['audit_log' | 'order_history' | 'state_log', { hash: string }, SortedColumns]> = [
      ['audit_log', auditRow(entry({ configSnapshot: null }), link(1), NOW, sealer), AUDIT_COLUMNS],
      ['order_history', historyRow(version('7', 'SUBMITTED', { placement }), undefined, link(3), 11, NOW, 42, sealer), HISTORY_COLUMNS],
      ['state_log', stateLogRow({ kind: 'idempotency', scope: 'place', key: 'k1', change: 'released' }, link(4), NOW, null, sealer), STATE_COLUMNS],
    ];
    for (const [chain, row, columns] of rows) {
      expect(Object.values(row)).toContain(null);
      const { hash: _hash, ...rest } = row;
      expect(columns.content).toBeDefined();
      expect(sealer.row(chain, rest as unknown as Row, columns)).toBe(sealer.row(chain, rest as unknown as Row));
      expect(sealer.row(chain, rest as unknown as Row, columns)).toBe(row.hash);
    }
  });
});
