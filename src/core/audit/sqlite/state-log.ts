/**
 * state_log: the third hash chain, one row per change of the small mutable
 * state kept beside the log: a named state value (the kill switch) or an
 * idempotency key (claimed, completed, released). The kill switch is read
 * from here, its row's MAC checked on every read; idempotency_keys stays the
 * fast, lockable index for claims, and verify() checks that it says exactly
 * what the last chained row of each key says.
 */
import type Database from 'better-sqlite3';
import { newCorrelationId } from '../../logging.js';
import type { ChainCheck, Sealer } from '../chain.js';
import type { ChainHeads } from './chain-heads.js';
import type { DataVersion } from './data-version.js';
import { fromJsonText } from '../json.js';
import { checkKeysAgainstChain } from '../key-check.js';
import { checkedStateValue, stateLogRow } from '../row-builders.js';
import type { IdempotencyKeyRow, StateChange, StateLogRow } from '../rows.js';

/** Named states whose value is remembered (the desk's and accounts' kill switches, the circuit breaker): cleared when full. */
const STATES_KEPT = 256;

const COLUMNS = 'id, timestamp, correlation_id, kind, name, key, change, owner, request_hash, value, prev_hash, hash';

export class StateLog {
  private readonly insert: Database.Statement<[StateLogRow]>;
  private readonly latestOf: Database.Statement<[string], StateLogRow>;
  /**
   * The correlation id of the write in progress: the store sets it before each write of a batch runs
   * (synchronously, in its transaction), so every row carries its own request's id.
   */
  correlationId: string = newCorrelationId();
  /**
   * Each named state's value text (null: no value) as last read from its chained row, whose MAC was checked
   * then, while PRAGMA data_version stays `keptVersion` (no other connection has committed). The circuit
   * breaker's count is read after every order's outcome: a SELECT, an HMAC and a parse each time, for a
   * value only a rejection (or another process) changes; now a PRAGMA and a parse. This connection's own change of a state forgets
   * that state as its row is written, so the next read, after the commit or the rollback, reads the table.
   */
  private readonly known = new Map<string, string | null>();
  private keptVersion = -1;

  constructor(
    private readonly db: Database.Database,
    private readonly heads: ChainHeads,
    /** The connection's data_version (data-version.ts); without it (the upgrade at open) nothing is remembered. */
    private readonly dataVersion?: DataVersion,
  ) {
    this.insert = db.prepare(
      `INSERT INTO state_log (${COLUMNS}) VALUES (@id, @timestamp, @correlation_id, @kind, @name, @key, @change, @owner, @request_hash, @value, @prev_hash, @hash)`,
    );
    // Literal kind: the partial index of named states (migration 10) serves only a query that says kind = 'state'
    // (no INDEXED BY: a file whose index was dropped must still open and be verified).
    this.latestOf = db.prepare(`SELECT ${COLUMNS} FROM state_log WHERE kind = 'state' AND name = ? AND key = '' ORDER BY id DESC LIMIT 1`);
  }

  /** Appends one chained change. Must run inside the IMMEDIATE transaction that makes the change. */
  appendInTransaction(change: StateChange, sealer: Sealer, now: string): void {
    if (change.kind === 'state') this.known.delete(change.name);
    const row = stateLogRow(change, this.heads.next('state_log'), now, this.correlationId, sealer);
    this.insert.run(row);
    this.heads.advance('state_log', row.id, row.hash);
  }

  /** The current value of a named state, from its last chained row, whose MAC is checked first. */
  state<T>(name: string, sealer: Sealer): T | null {
    // Inside a write transaction a read would see its uncommitted rows: nothing remembered is used or kept.
    if (this.dataVersion === undefined || this.db.inTransaction) return this.read<T>(name, sealer);
    // Read now, not the callback's value (data-version.ts): the rows checked here hold the kill switch, and a change
    // made by any other connection before this call, even earlier in the same callback, is read and its MAC checked.
    // Read before the row: a commit by another connection in between is seen by the next read, which forgets this.
    const version = this.dataVersion.current();
    if (version !== this.keptVersion) {
      this.known.clear();
      this.keptVersion = version;
    }
    const text = this.known.get(name);
    if (text !== undefined) return text === null ? null : fromJsonText<T>(text);
    const row = this.latestOf.get(name);
    const value = row ? checkedStateValue<T>(row, name, sealer, 'audit.db') : null;
    if (this.known.size >= STATES_KEPT) this.known.clear();
    this.known.set(name, row?.value ?? null);
    return value;
  }

  private read<T>(name: string, sealer: Sealer): T | null {
    const row = this.latestOf.get(name);
    return row ? checkedStateValue<T>(row, name, sealer, 'audit.db') : null;
  }

  /** idempotency_keys against the chain (key-check.ts). */
  checkIdempotencyKeys(): ChainCheck {
    // Each key's last change, found by grouping every idempotency change once (no index holds them: migration 10).
    const lastChanges = this.db.prepare(
      `SELECT ${COLUMNS} FROM state_log WHERE id IN (SELECT MAX(id) FROM state_log WHERE kind = 'idempotency' GROUP BY name, key) ORDER BY id`,
    );
    const keys = this.db.prepare('SELECT scope, key, owner, request_hash, state, result FROM idempotency_keys');
    return checkKeysAgainstChain(lastChanges.iterate() as IterableIterator<StateLogRow>, keys.iterate() as IterableIterator<IdempotencyKeyRow>);
  }

  /** At the HMAC upgrade: records the state and idempotency keys a schema-1 file holds, so they are chained from then on. */
  adoptExisting(sealer: Sealer, now: string): void {
    const states = this.db.prepare('SELECT name, value FROM state ORDER BY name').all() as Array<{ name: string; value: string }>;
    for (const s of states) this.appendInTransaction({ kind: 'state', name: s.name, change: 'set', value: fromJsonText<unknown>(s.value) }, sealer, now);
    const keys = this.db.prepare('SELECT scope, key, owner, request_hash, state, result FROM idempotency_keys ORDER BY scope, key').all() as IdempotencyKeyRow[];
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
