/**
 * Idempotency keys and named state on PostgreSQL. A claim is INSERT ... ON
 * CONFLICT DO NOTHING on the (scope, key) primary key inside the locked write
 * transaction: whichever gateway commits first owns the key, every other one
 * reads its claim, so one key places one order across all instances. Every
 * change is also a chained state_log row (the kill switch is read from there,
 * its MAC checked on every read), as on SQLite.
 */
import { AuditError, IdempotencyConflictError } from '../../errors.js';
import type { Sealer } from '../chain.js';
import { fromJsonText } from '../json.js';
import type { IdempotencyBegin, IdempotencyClaimed } from '../types.js';
import { claimHolder } from './instances.js';
import type { ChainedRows } from './chained-rows.js';
import type { PoolClient, Queryable } from './connection.js';
import { checkedStateValue } from '../row-builders.js';
import type { StateLogRow } from '../rows.js';

interface KeyRow {
  owner: string | null;
  request_hash: string;
  created_at: string;
  state: 'in_progress' | 'complete';
  result: string | null;
  instance_id: string | null;
}

const readKey = async (db: Queryable, scope: string, key: string): Promise<KeyRow | undefined> =>
  (await db.query<KeyRow>('SELECT owner, request_hash, created_at, state, result, instance_id FROM idempotency_keys WHERE scope = $1 AND key = $2', [scope, key])).rows[0];

/** Inside a write transaction. */
export async function beginKey(
  client: PoolClient,
  rows: ChainedRows,
  now: string,
  claim: { scope: string; key: string; owner: string; requestHash: string; instanceId: string | null },
): Promise<IdempotencyBegin> {
  const { scope, key, owner, requestHash } = claim;
  const claimed = await client.query(
    "INSERT INTO idempotency_keys (scope, key, owner, request_hash, state, result, created_at, updated_at, instance_id) VALUES ($1, $2, $3, $4, 'in_progress', NULL, $5, $5, $6) ON CONFLICT (scope, key) DO NOTHING",
    [scope, key, owner, requestHash, now, claim.instanceId],
  );
  if (claimed.rowCount === 1) {
    await rows.state({ kind: 'idempotency', scope, key, change: 'claimed', owner, requestHash });
    return { kind: 'new' };
  }
  const seen = await peekKey(client, claim);
  if (seen === null) throw new AuditError(`idempotency key ${scope}/${key} vanished during its claim`);
  return seen;
}

/** The claim as beginKey would judge it, without claiming (null: unclaimed). */
export async function peekKey(db: Queryable, claim: { scope: string; key: string; owner: string; requestHash: string }): Promise<IdempotencyClaimed | null> {
  const { scope, key, owner, requestHash } = claim;
  const row = await readKey(db, scope, key);
  if (!row) return null;
  // Checked first: another caller learns nothing about the owner's request.
  if (row.owner !== owner) {
    throw new IdempotencyConflictError(`Idempotency key ${key} was already used by another caller; choose another key`, 'IDEMPOTENCY_KEY_FOREIGN', { key });
  }
  if (row.request_hash !== requestHash) {
    throw new IdempotencyConflictError(`Idempotency key ${key} was already used for a different request`, 'IDEMPOTENCY_CONFLICT', { scope, key });
  }
  if (row.state === 'complete') return { kind: 'replay', result: row.result === null ? null : fromJsonText<unknown>(row.result) };
  return { kind: 'in-progress', since: row.created_at, holder: await claimHolder(db, row.instance_id) };
}

/** Inside a write transaction: whether the claim is still in progress as `instanceId` took it at `since` (every take-over waits for the write lock, so it stays so until COMMIT). */
export async function holdsKey(client: PoolClient, scope: string, key: string, instanceId: string | null, since: string): Promise<boolean> {
  const held = await client.query(
    "SELECT 1 FROM idempotency_keys WHERE scope = $1 AND key = $2 AND state = 'in_progress' AND instance_id IS NOT DISTINCT FROM $3 AND created_at = $4",
    [scope, key, instanceId, since],
  );
  return held.rowCount === 1;
}

/**
 * Inside a write transaction. Changes only the claim as the caller saw it, so
 * of two gateways taking one orphan over, the second changes nothing; the
 * take-over is a chained 'claimed' change (the log says the claim changed hands).
 * Returns the claim's new `since`, or null when it was not taken.
 */
export async function takeOverKey(
  client: PoolClient,
  rows: ChainedRows,
  now: string,
  claim: { scope: string; key: string; seen: { since: string; instanceId: string | null }; instanceId: string | null },
): Promise<string | null> {
  const { scope, key, seen } = claim;
  const updated = await client.query(
    "UPDATE idempotency_keys SET instance_id = $1, created_at = $2, updated_at = $2 WHERE scope = $3 AND key = $4 AND state = 'in_progress' AND created_at = $5 AND instance_id IS NOT DISTINCT FROM $6",
    [claim.instanceId, now, scope, key, seen.since, seen.instanceId],
  );
  if (updated.rowCount !== 1) return null;
  const row = await readKey(client, scope, key);
  if (!row) return null;
  await rows.state({ kind: 'idempotency', scope, key, change: 'claimed', owner: row.owner, requestHash: row.request_hash });
  return now;
}

/** Inside a write transaction. */
export async function completeKey(client: PoolClient, rows: ChainedRows, now: string, scope: string, key: string, result: unknown): Promise<void> {
  const text = JSON.stringify(result ?? null);
  const row = await readKey(client, scope, key);
  const updated = row ? await client.query("UPDATE idempotency_keys SET state = 'complete', result = $1, updated_at = $2 WHERE scope = $3 AND key = $4", [text, now, scope, key]) : null;
  if (!row || updated?.rowCount !== 1) {
    throw new AuditError(`idempotency key ${scope}/${key} was not claimed, so its result cannot be stored`, 'AUDIT_UNAVAILABLE', { scope, key });
  }
  await rows.state({ kind: 'idempotency', scope, key, change: 'completed', owner: row.owner, requestHash: row.request_hash, resultText: text });
}

/** Inside a write transaction. A completed key is never released: its result is what every replay must return. */
export async function releaseKey(client: PoolClient, rows: ChainedRows, scope: string, key: string): Promise<void> {
  const deleted = await client.query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND state = 'in_progress'", [scope, key]);
  if (deleted.rowCount === 1) await rows.state({ kind: 'idempotency', scope, key, change: 'released' });
}

/** The current value of a named state, from its last chained row, whose MAC is checked first. */
export async function readState<T>(db: Queryable, name: string, sealer: Sealer): Promise<T | null> {
  const row = (await db.query<StateLogRow>("SELECT * FROM state_log WHERE kind = 'state' AND name = $1 AND key = '' ORDER BY id DESC LIMIT 1", [name])).rows[0];
  return row ? checkedStateValue<T>(row, name, sealer, 'the store') : null;
}
