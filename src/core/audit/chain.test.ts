/**
 * The text a row's hash covers is written directly (chain.ts rowContent), not
 * through canonicalJson: every stored hash depends on it staying exactly
 * canonicalJson({ chain, row }) of the row's non-null columns but hash.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../hashing.js';
import { type ChainName, columnsOf, type Row, rowHash, Sealer } from './chain.js';
import { keyFromText } from './key.js';

const key = keyFromText('k'.repeat(40), 'AUDIT_HMAC_KEY');
const sealer = new Sealer(key);

/** What the hash covered before the direct writer: the columns copied without hash and nulls, then canonicalJson. */
function reference(chain: ChainName, row: Record<string, unknown>): string {
  const content: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) if (column !== 'hash' && value !== null) content[column] = value;
  return canonicalJson({ chain, row: content });
}
const expectSameHashes = (chain: ChainName, row: Record<string, unknown>): void => {
  expect(rowHash(chain, row as Row)).toBe(sha256Hex(reference(chain, row)));
  expect(sealer.row(chain, row as Row)).toBe(createHmac('sha256', key.bytes).update(reference(chain, row)).digest('hex'));
};

describe('the text a row hash covers', () => {
  it('is canonicalJson of the non-null columns but hash, for rows as built and as read back (another column order)', () => {
    const built = { id: 7, order_id: '12', status: 'FILLED', fills: '[{"a":1}]', avg_fill_price: 253.95, status_message: null, prev_hash: 'p'.repeat(64) };
    const readBack = { hash: 'h'.repeat(64), prev_hash: 'p'.repeat(64), status_message: null, avg_fill_price: 253.95, fills: '[{"a":1}]', status: 'FILLED', order_id: '12', id: 7 };
    for (let i = 0; i < 3; i++) {
      expectSameHashes('order_history', built);
      expectSameHashes('order_history', readBack);
      expectSameHashes('audit_log', built);
    }
    expect(rowHash('order_history', built)).toBe(rowHash('order_history', readBack));
    expect(rowHash('order_history', built)).not.toBe(rowHash('audit_log', built));
  });

  it('escapes quotes, control characters and line separators in values and names as JSON.stringify does', () => {
    expectSameHashes('state_log', { id: 1, value: 'x"\\\n\u2028\u0000é', 'we"ird\ncolumn': 'y', count: -0, big: 1e21, small: 5e-7 });
  });

  it('drops undefined columns and writes a non-finite number as null, like canonicalJson', () => {
    expectSameHashes('audit_log', { id: 1, gone: undefined, nan: Number.NaN, inf: Number.POSITIVE_INFINITY });
  });

  it('sorts integer-like column names first, as an object lists them, and takes any other value type through canonicalJson', () => {
    expectSameHashes('audit_log', { b: 'x', '10': 'y', '9': 'z', a: 1 });
    expectSameHashes('audit_log', { id: 3, data: Buffer.from('tampered'), note: 'blob read back from an edited row' });
  });

  it('stays exact for many different column lists on one chain', () => {
    for (let n = 1; n <= 20; n++) expectSameHashes('state_log', Object.fromEntries(Array.from({ length: n }, (_, i) => [`c${(i * 7) % 20}`, i % 3 === 0 ? null : `v${i}`])));
  });

  it('is the same text when sealed over the known columns of a builder, whatever the values', () => {
    const columns = columnsOf(['prev_hash', 'id', 'value', 'count', 'gone', 'hash', 'we"ird\ncolumn']);
    const rows: Array<Record<string, unknown>> = [
      { id: 1, value: 'x"\\\n\u2028\u0000é😀', count: -0, gone: null, prev_hash: 'p'.repeat(64), hash: '', 'we"ird\ncolumn': 'y' },
      { id: 2, value: '{"a":[1,2]}', count: Number.NaN, gone: undefined, prev_hash: 'p'.repeat(64), hash: 'h'.repeat(64), 'we"ird\ncolumn': 1e21 },
      { id: 3, value: Buffer.from('tampered'), count: 5e-7, gone: 'kept', prev_hash: 'p'.repeat(64), hash: '', 'we"ird\ncolumn': null },
    ];
    for (const row of rows) {
      expect(sealer.row('state_log', row as Row, columns)).toBe(createHmac('sha256', key.bytes).update(reference('state_log', row)).digest('hex'));
      expect(sealer.row('state_log', row as Row, columns)).toBe(sealer.row('state_log', row as Row));
    }
  });
});
