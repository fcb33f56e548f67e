/**
 * Idempotency keys. A key is claimed with INSERT ... ON CONFLICT DO NOTHING
 * inside a BEGIN IMMEDIATE transaction: the claim and the read of an existing
 * claim are one atomic step, within a process and across processes sharing
 * the file, so two concurrent requests with one key can never both get 'new'.
 */
import type Database from 'better-sqlite3';
import { AuditError, IdempotencyConflictError } from '../errors.js';
import { fromJsonText } from './json.js';
import type { IdempotencyBegin } from './types.js';

interface KeyRow {
  request_hash: string;
  created_at: string;
  state: 'in_progress' | 'complete';
  result: string | null;
}

export class IdempotencyKeys {
  private readonly claim: Database.Statement<[string, string, string, string, string]>;
  private readonly read: Database.Statement<[string, string], KeyRow>;
  private readonly complete: Database.Statement<[string, string, string, string]>;
  private readonly release: Database.Statement<[string, string]>;

  constructor(db: Database.Database) {
    this.claim = db.prepare(
      "INSERT INTO idempotency_keys (scope, key, request_hash, state, result, created_at, updated_at) VALUES (?, ?, ?, 'in_progress', NULL, ?, ?) ON CONFLICT(scope, key) DO NOTHING",
    );
    this.read = db.prepare('SELECT request_hash, created_at, state, result FROM idempotency_keys WHERE scope = ? AND key = ?');
    this.complete = db.prepare("UPDATE idempotency_keys SET state = 'complete', result = ?, updated_at = ? WHERE scope = ? AND key = ?");
    // A completed key is never released: its result is what every replay must return.
    this.release = db.prepare("DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND state = 'in_progress'");
  }

  /** Call inside an IMMEDIATE transaction. */
  begin(scope: string, key: string, requestHash: string, now: string): IdempotencyBegin {
    if (this.claim.run(scope, key, requestHash, now, now).changes === 1) return { kind: 'new' };
    const row = this.read.get(scope, key);
    if (!row) throw new AuditError(`idempotency key ${scope}/${key} vanished during its claim`);
    if (row.request_hash !== requestHash) {
      throw new IdempotencyConflictError(`Idempotency key ${key} was already used for a different request`, 'IDEMPOTENCY_CONFLICT', { scope, key });
    }
    if (row.state === 'complete') return { kind: 'replay', result: row.result === null ? null : fromJsonText<unknown>(row.result) };
    return { kind: 'in-progress', since: row.created_at };
  }

  finish(scope: string, key: string, result: unknown, now: string): void {
    const text = JSON.stringify(result ?? null);
    if (this.complete.run(text, now, scope, key).changes !== 1) {
      throw new AuditError(`idempotency key ${scope}/${key} was not claimed, so its result cannot be stored`, 'AUDIT_UNAVAILABLE', { scope, key });
    }
  }

  giveBack(scope: string, key: string): void {
    this.release.run(scope, key);
  }
}

export class StateTable {
  private readonly read: Database.Statement<[string], { value: string }>;
  private readonly write: Database.Statement<[string, string, string]>;

  constructor(db: Database.Database) {
    this.read = db.prepare('SELECT value FROM state WHERE name = ?');
    this.write = db.prepare(
      'INSERT INTO state (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
    );
  }

  get<T>(name: string): T | null {
    const row = this.read.get(name);
    return row ? fromJsonText<T>(row.value) : null;
  }

  set(name: string, value: unknown, now: string): void {
    this.write.run(name, JSON.stringify(value ?? null), now);
  }
}
