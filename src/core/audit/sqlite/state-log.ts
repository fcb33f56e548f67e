/**
 * state_log: the third hash chain, one row per change of the small mutable
 * state kept beside the log: a named state value (the kill switch) or an
 * idempotency key (claimed, completed, released). The kill switch is read
 * from here, its row's MAC checked on every read; idempotency_keys stays the
 * fast, lockable index for claims, and verify() checks that it says exactly
 * what the last chained row of each key says.
 */
import type Database from 'better-sqlite3';
import { AuditError } from '../../errors.js';
import { currentContext } from '../../logging.js';
import { CHAIN_OK, type ChainCheck, type Row, type Sealer } from '../chain.js';
import type { ChainHeads } from './chain-heads.js';
import { fromJsonText, toJsonText } from '../json.js';

export type StateChange =
  | { kind: 'state'; name: string; change: 'set'; value: unknown }
  | { kind: 'idempotency'; scope: string; key: string; change: 'claimed'; owner: string | null; requestHash: string }
  | { kind: 'idempotency'; scope: string; key: string; change: 'completed'; owner: string | null; requestHash: string; resultText: string }
  | { kind: 'idempotency'; scope: string; key: string; change: 'released' };

interface StateLogRow {
  id: number;
  timestamp: string;
  correlation_id: string | null;
  kind: string;
  name: string;
  key: string;
  change: string;
  owner: string | null;
  request_hash: string | null;
  value: string | null;
  prev_hash: string;
  hash: string;
}

const COLUMNS = 'id, timestamp, correlation_id, kind, name, key, change, owner, request_hash, value, prev_hash, hash';

interface KeyRow {
  scope: string;
  key: string;
  owner: string | null;
  request_hash: string;
  state: string;
  result: string | null;
}

export class StateLog {
  private readonly insert: Database.Statement<[StateLogRow]>;
  private readonly latestOf: Database.Statement<[string, string, string], StateLogRow>;

  constructor(
    private readonly db: Database.Database,
    private readonly heads: ChainHeads,
  ) {
    this.insert = db.prepare(
      `INSERT INTO state_log (${COLUMNS}) VALUES (@id, @timestamp, @correlation_id, @kind, @name, @key, @change, @owner, @request_hash, @value, @prev_hash, @hash)`,
    );
    this.latestOf = db.prepare(`SELECT ${COLUMNS} FROM state_log WHERE kind = ? AND name = ? AND key = ? ORDER BY id DESC LIMIT 1`);
  }

  /** Appends one chained change. Must run inside the IMMEDIATE transaction that makes the change. */
  appendInTransaction(change: StateChange, sealer: Sealer, now: string): void {
    const { id, prevHash } = this.heads.next('state_log');
    const base = { id, timestamp: now, correlation_id: currentContext().correlationId, kind: change.kind, change: change.change, prev_hash: prevHash };
    const unhashed: Omit<StateLogRow, 'hash'> =
      change.kind === 'state'
        ? { ...base, name: change.name, key: '', owner: null, request_hash: null, value: toJsonText(change.value ?? null) }
        : {
            ...base,
            name: change.scope,
            key: change.key,
            owner: change.change === 'released' ? null : change.owner,
            request_hash: change.change === 'released' ? null : change.requestHash,
            value: change.change === 'completed' ? change.resultText : null,
          };
    const hash = sealer.row('state_log', unhashed as Row);
    this.insert.run({ ...unhashed, hash });
    this.heads.advance('state_log', id, hash);
  }

  /** The current value of a named state, from its last chained row, whose MAC is checked first. */
  state<T>(name: string, sealer: Sealer): T | null {
    const row = this.latestOf.get('state', name, '');
    if (!row) return null;
    const { hash, ...rest } = row;
    if (sealer.row('state_log', rest as Row) !== hash) {
      throw new AuditError(`state_log row ${row.id} (state ${name}) does not match its HMAC: audit.db was altered; run ibkr-gateway audit verify`, 'AUDIT_CORRUPT', {
        stateLogId: row.id,
      });
    }
    return row.value === null ? null : fromJsonText<T>(row.value);
  }

  /**
   * idempotency_keys against the chain: each key's row must say what its last
   * chained change says (claimed: in progress; completed: the same result;
   * released: no row), and no row may exist without a chained change.
   */
  checkIdempotencyKeys(): ChainCheck {
    const latest = this.db.prepare(
      `SELECT ${COLUMNS} FROM state_log s WHERE kind = 'idempotency' AND id = (SELECT MAX(id) FROM state_log t WHERE t.kind = s.kind AND t.name = s.name AND t.key = s.key)`,
    );
    const expected = new Map<string, StateLogRow>();
    for (const row of latest.iterate() as IterableIterator<StateLogRow>) expected.set(`${row.name}\u0000${row.key}`, row);
    const keys = this.db.prepare('SELECT scope, key, owner, request_hash, state, result FROM idempotency_keys').iterate() as IterableIterator<KeyRow>;
    let checked = 0;
    const bad = (id: number | null, reason: string): ChainCheck => ({ ok: false, checkedRows: checked, firstBadId: id, reason });
    for (const k of keys) {
      const id = `${k.scope}\u0000${k.key}`;
      const row = expected.get(id);
      expected.delete(id);
      const what = `idempotency key ${k.scope}/${k.key}`;
      if (!row || row.change === 'released') return bad(row?.id ?? null, `${what} is in idempotency_keys but its chained history in state_log ${row ? `(row ${row.id}) released it` : 'has no record of it'}: the row was inserted behind the store's back`);
      const wantState = row.change === 'completed' ? 'complete' : 'in_progress';
      const same = k.state === wantState && k.owner === row.owner && k.request_hash === row.request_hash && (row.change !== 'completed' || (k.result ?? 'null') === row.value);
      if (!same) return bad(row.id, `state_log row ${row.id}: ${what} in idempotency_keys differs from its last chained change (${row.change}): the row was edited`);
      checked += 1;
    }
    for (const row of expected.values()) {
      if (row.change !== 'released') return bad(row.id, `state_log row ${row.id}: idempotency key ${row.name}/${row.key} (${row.change}) is missing from idempotency_keys: the row was deleted`);
    }
    return CHAIN_OK(0);
  }

  /** At the HMAC upgrade: records the state and idempotency keys a schema-1 file holds, so they are chained from then on. */
  adoptExisting(sealer: Sealer, now: string): void {
    const states = this.db.prepare('SELECT name, value FROM state ORDER BY name').all() as Array<{ name: string; value: string }>;
    for (const s of states) this.appendInTransaction({ kind: 'state', name: s.name, change: 'set', value: fromJsonText<unknown>(s.value) }, sealer, now);
    const keys = this.db.prepare('SELECT scope, key, owner, request_hash, state, result FROM idempotency_keys ORDER BY scope, key').all() as KeyRow[];
    for (const k of keys) {
      const common = { kind: 'idempotency', scope: k.scope, key: k.key, owner: k.owner, requestHash: k.request_hash } as const;
      this.appendInTransaction(
        k.state === 'complete' ? { ...common, change: 'completed', resultText: k.result ?? 'null' } : { ...common, change: 'claimed' },
        sealer,
        now,
      );
    }
  }
}
