/**
 * idempotency_keys against state_log, for verify() on both back ends: the
 * keys table is the fast, lockable index of claims, but only the chain is
 * MACed, so each key's row must say exactly what its last chained change says
 * (claimed: in progress; completed: the same result; released: no row), and
 * no row may exist without a chained change.
 */
import { CHAIN_OK, type ChainCheck } from './chain.js';
import type { IdempotencyKeyRow, StateLogRow } from './rows.js';

/** The last state_log row of one idempotency key: the columns the check compares. */
export type LastKeyChange = Pick<StateLogRow, 'id' | 'name' | 'key' | 'change' | 'owner' | 'request_hash' | 'value'>;

export function checkKeysAgainstChain(lastChanges: Iterable<LastKeyChange>, keys: Iterable<IdempotencyKeyRow>): ChainCheck {
  const expected = new Map<string, LastKeyChange>();
  for (const row of lastChanges) expected.set(`${row.name}\u0000${row.key}`, row);
  let checked = 0;
  const bad = (id: number | null, reason: string): ChainCheck => ({ ok: false, checkedRows: checked, firstBadId: id, reason });
  for (const k of keys) {
    const id = `${k.scope}\u0000${k.key}`;
    const row = expected.get(id);
    expected.delete(id);
    const what = `idempotency key ${k.scope}/${k.key}`;
    if (!row || row.change === 'released') {
      return bad(row?.id ?? null, `${what} is in idempotency_keys but its chained history in state_log ${row ? `(row ${row.id}) released it` : 'has no record of it'}: the row was inserted behind the store's back`);
    }
    const wantState = row.change === 'completed' ? 'complete' : 'in_progress';
    const same = k.state === wantState && k.owner === row.owner && k.request_hash === row.request_hash && (row.change !== 'completed' || (k.result ?? 'null') === row.value);
    if (!same) return bad(row.id, `state_log row ${row.id}: ${what} in idempotency_keys differs from its last chained change (${row.change}): the row was edited`);
    checked += 1;
  }
  for (const row of expected.values()) {
    if (row.change !== 'released') return bad(row.id, `state_log row ${row.id}: idempotency key ${row.name}/${row.key} (${row.change}) is missing from idempotency_keys: the row was deleted`);
  }
  // The keys are not chain rows: the rows the walk checked are counted by the caller.
  return CHAIN_OK(0);
}
