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
import { fromJsonText } from '../json.js';
import { checkKeysAgainstChain } from '../key-check.js';
import { checkedStateValue, stateLogRow } from '../row-builders.js';
import type { IdempotencyKeyRow, StateChange, StateLogRow } from '../rows.js';

const COLUMNS = 'id, timestamp, correlation_id, kind, name, key, change, owner, request_hash, value, prev_hash, hash';

export class StateLog {
  private readonly insert: Database.Statement<[StateLogRow]>;
  private readonly latestOf: Database.Statement<[string], StateLogRow>;
  /**
   * The correlation id of the write in progress: the store sets it before each write of a batch runs
   * (synchronously, in its transaction), so every row carries its own request's id.
   */
  correlationId: string = newCorrelationId();

  constructor(
    private readonly db: Database.Database,
    private readonly heads: ChainHeads,
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
    const row = stateLogRow(change, this.heads.next('state_log'), now, this.correlationId, sealer);
    this.insert.run(row);
    this.heads.advance('state_log', row.id, row.hash);
  }

  /** The current value of a named state, from its last chained row, whose MAC is checked first. */
  state<T>(name: string, sealer: Sealer): T | null {
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
