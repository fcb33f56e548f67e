/**
 * Idempotency keys. A key is claimed with INSERT ... ON CONFLICT DO NOTHING
 * inside a BEGIN IMMEDIATE transaction: the claim and the read of an existing
 * claim are one atomic step, within a process and across processes sharing
 * the file, so two concurrent requests with one key can never both get 'new'.
 *
 * A key belongs to the caller that claimed it (its owner: the API key name,
 * or the interface for callers without one, such as the library). Another
 * caller presenting it gets IDEMPOTENCY_KEY_FOREIGN, never the owner's
 * result. Keys claimed before owners were recorded (owner NULL) belong to no
 * one: a replay of one is refused rather than answered to whoever asks.
 *
 * Every change is also a chained state_log row written in the same
 * transaction (state-log.ts), so the table cannot be edited unnoticed.
 */
import type Database from 'better-sqlite3';
import { AuditError, IdempotencyConflictError } from '../../errors.js';
import type { Sealer } from '../chain.js';
import { fromJsonText } from '../json.js';
import type { StateLog } from './state-log.js';
import type { ClaimHolder, IdempotencyBegin, IdempotencyClaimed } from '../types.js';

interface KeyRow {
  owner: string | null;
  request_hash: string;
  created_at: string;
  state: 'in_progress' | 'complete';
  result: string | null;
  instance_id: string | null;
}

export class IdempotencyKeys {
  private readonly claim: Database.Statement<[string, string, string, string, string, string, string | null]>;
  private readonly read: Database.Statement<[string, string], KeyRow>;
  private readonly complete: Database.Statement<[string, string, string, string], { owner: string | null; request_hash: string }>;
  private readonly release: Database.Statement<[string, string]>;
  private readonly takeOver: Database.Statement<[string | null, string, string, string, string, string, string | null]>;

  constructor(
    db: Database.Database,
    private readonly log: StateLog,
  ) {
    this.claim = db.prepare(
      "INSERT INTO idempotency_keys (scope, key, owner, request_hash, state, result, created_at, updated_at, instance_id) VALUES (?, ?, ?, ?, 'in_progress', NULL, ?, ?, ?) ON CONFLICT(scope, key) DO NOTHING",
    );
    this.read = db.prepare('SELECT owner, request_hash, created_at, state, result, instance_id FROM idempotency_keys WHERE scope = ? AND key = ?');
    // RETURNING: the owner and request hash the chained row repeats, in the same step as the update (no read before it).
    this.complete = db.prepare("UPDATE idempotency_keys SET state = 'complete', result = ?, updated_at = ? WHERE scope = ? AND key = ? RETURNING owner, request_hash");
    // A completed key is never released: its result is what every replay must return.
    this.release = db.prepare("DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND state = 'in_progress'");
    // Only the claim as the caller saw it: of two gateways taking one orphan over, the second changes nothing.
    this.takeOver = db.prepare(
      "UPDATE idempotency_keys SET instance_id = ?, created_at = ?, updated_at = ? WHERE scope = ? AND key = ? AND state = 'in_progress' AND created_at = ? AND instance_id IS ?",
    );
  }

  /** Call inside an IMMEDIATE transaction. */
  begin(scope: string, key: string, owner: string, requestHash: string, sealer: Sealer, now: string, instanceId: string | null, holderOf: (id: string | null) => ClaimHolder): IdempotencyBegin {
    if (this.claim.run(scope, key, owner, requestHash, now, now, instanceId).changes === 1) {
      this.log.appendInTransaction({ kind: 'idempotency', scope, key, change: 'claimed', owner, requestHash }, sealer, now);
      return { kind: 'new' };
    }
    const seen = this.peek(scope, key, owner, requestHash, holderOf);
    if (seen === null) throw new AuditError(`idempotency key ${scope}/${key} vanished during its claim`);
    return seen;
  }

  /** The claim as `begin` would judge it, without claiming (null: unclaimed). A read: no transaction needed. */
  peek(scope: string, key: string, owner: string, requestHash: string, holderOf: (id: string | null) => ClaimHolder): IdempotencyClaimed | null {
    const row = this.read.get(scope, key);
    if (!row) return null;
    // Checked first: another caller learns nothing about the owner's request.
    if (row.owner !== owner) {
      throw new IdempotencyConflictError(`Idempotency key ${key} was already used by another caller; choose another key`, 'IDEMPOTENCY_KEY_FOREIGN', { key });
    }
    if (row.request_hash !== requestHash) {
      throw new IdempotencyConflictError(`Idempotency key ${key} was already used for a different request`, 'IDEMPOTENCY_CONFLICT', { scope, key });
    }
    if (row.state === 'complete') return { kind: 'replay', result: row.result === null ? null : fromJsonText<unknown>(row.result) };
    return { kind: 'in-progress', since: row.created_at, holder: holderOf(row.instance_id) };
  }

  /** Call inside an IMMEDIATE transaction: whether the claim is still in progress as `instanceId` took it at `since`. */
  holds(scope: string, key: string, instanceId: string | null, since: string): boolean {
    const row = this.read.get(scope, key);
    return row !== undefined && row.state === 'in_progress' && row.instance_id === instanceId && row.created_at === since;
  }

  /** Call inside an IMMEDIATE transaction. The take-over is a chained 'claimed' change: the log says the claim changed hands. Returns the claim's new `since`, or null. */
  takeOverClaim(scope: string, key: string, seen: { since: string; instanceId: string | null }, instanceId: string | null, sealer: Sealer, now: string): string | null {
    if (this.takeOver.run(instanceId, now, now, scope, key, seen.since, seen.instanceId).changes !== 1) return null;
    const row = this.read.get(scope, key);
    if (!row) return null;
    this.log.appendInTransaction({ kind: 'idempotency', scope, key, change: 'claimed', owner: row.owner, requestHash: row.request_hash }, sealer, now);
    return now;
  }

  /** Call inside an IMMEDIATE transaction. */
  finish(scope: string, key: string, result: unknown, sealer: Sealer, now: string): void {
    const text = JSON.stringify(result ?? null);
    const row = this.complete.get(text, now, scope, key);
    if (!row) {
      throw new AuditError(`idempotency key ${scope}/${key} was not claimed, so its result cannot be stored`, 'AUDIT_UNAVAILABLE', { scope, key });
    }
    this.log.appendInTransaction({ kind: 'idempotency', scope, key, change: 'completed', owner: row.owner, requestHash: row.request_hash, resultText: text }, sealer, now);
  }

  /** Call inside an IMMEDIATE transaction. */
  giveBack(scope: string, key: string, sealer: Sealer, now: string): void {
    if (this.release.run(scope, key).changes === 1) this.log.appendInTransaction({ kind: 'idempotency', scope, key, change: 'released' }, sealer, now);
  }
}
