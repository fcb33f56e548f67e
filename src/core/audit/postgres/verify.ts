/**
 * Anchors and verification on PostgreSQL. The walk is the shared one
 * (chain.ts ChainWalk) over pages of rows read in one REPEATABLE READ
 * snapshot, so writers of every gateway can go on while a verify runs and the
 * result describes one consistent moment.
 */
import { type AnchorRow, anchorProblem, anchorsByChain, signAnchor, type StoredAnchor, toAnchorRow } from '../anchors.js';
import { CHAIN_OK, CHAINS, type ChainCheck, type ChainName, ChainWalk, type Row, type Sealer } from '../chain.js';
import { checkKeysAgainstChain, type LastKeyChange } from '../key-check.js';
import type { IdempotencyKeyRow } from '../rows.js';
import { type Checkpoint, type CheckpointLine, checkAgainstDatabase } from '../checkpoints.js';
import { checkpointedRows } from './checkpoints.js';
import type { PoolClient, Queryable } from './connection.js';
import type { PgHeads } from './transaction.js';

export async function loadAnchors(db: Queryable): Promise<Map<ChainName, StoredAnchor>> {
  return anchorsByChain((await db.query<AnchorRow>('SELECT chain, first_mac_id, prev_hash, key_id, created_at, mac FROM chain_anchors')).rows);
}

/** Anchors every chain without one at the row after its head (row 1 on a new database). Inside a write transaction. */
export async function anchorMissing(client: PoolClient, heads: PgHeads, sealer: Sealer, now: string): Promise<void> {
  const existing = await loadAnchors(client);
  for (const chain of CHAINS) {
    if (existing.has(chain)) continue;
    const a = toAnchorRow(signAnchor(chain, heads.get(chain), sealer, now));
    await client.query('INSERT INTO chain_anchors (chain, first_mac_id, prev_hash, key_id, created_at, mac) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (chain) DO NOTHING', [
      a.chain,
      a.first_mac_id,
      a.prev_hash,
      a.key_id,
      a.created_at,
      a.mac,
    ]);
  }
}

const PAGE = 2000;

/** The shared walk (chain.ts), fed page by page. */
async function walkChain(db: Queryable, chain: ChainName, anchor: StoredAnchor, sealer: Sealer | null): Promise<ChainCheck> {
  const walk = new ChainWalk(chain, anchor, sealer);
  let after = 0;
  for (;;) {
    const page = (await db.query<Row>(`SELECT * FROM ${chain} WHERE id > $1 ORDER BY id LIMIT ${PAGE}`, [after])).rows;
    for (const row of page) {
      const failed = walk.step(row);
      if (failed !== null) return failed;
      after = Number(row.id);
    }
    if (page.length < PAGE) break;
  }
  const head = (await db.query<{ last_id: number; last_hash: string }>('SELECT last_id, last_hash FROM chain_heads WHERE chain = $1', [chain])).rows[0];
  return walk.end(head ? { lastId: head.last_id, lastHash: head.last_hash } : null);
}

/** idempotency_keys against the last chained change of each key (key-check.ts). */
async function checkKeys(db: Queryable): Promise<ChainCheck> {
  const lastChanges = await db.query<LastKeyChange>(
    "SELECT DISTINCT ON (name, key) id, name, key, change, owner, request_hash, value FROM state_log WHERE kind = 'idempotency' ORDER BY name, key, id DESC",
  );
  const keys = await db.query<IdempotencyKeyRow>('SELECT scope, key, owner, request_hash, state, result FROM idempotency_keys');
  return checkKeysAgainstChain(lastChanges.rows, keys.rows);
}

/** A checkpoint line as read: the checkpoint, or why it cannot be trusted. */
export interface ReadCheckpoint {
  line: CheckpointLine;
  parsed: Checkpoint | string;
}

/**
 * Every chain, its anchor, the idempotency keys and the checkpoints (read
 * before this snapshot, so every row they name was committed before it), in
 * one snapshot of `client` (a dedicated connection).
 */
export async function verifyPostgres(client: PoolClient, sealer: Sealer | null, checkpoints: readonly ReadCheckpoint[] = []): Promise<ChainCheck> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const anchors = await loadAnchors(client);
    let checkedRows = 0;
    for (const chain of CHAINS) {
      const anchor = anchors.get(chain);
      if (anchor === undefined) return { ok: false, checkedRows, firstBadId: 1, reason: `${chain} row 1: chain_anchors has no record for this chain (the HMAC upgrade record was deleted)` };
      const problem = anchorProblem(anchor, sealer);
      if (problem !== null) return { ok: false, checkedRows, firstBadId: anchor.firstMacId, reason: `${chain} row ${anchor.firstMacId}: ${problem}` };
      const check = await walkChain(client, chain, anchor, sealer);
      checkedRows += check.checkedRows;
      if (!check.ok) return { ...check, checkedRows };
    }
    const keys = await checkKeys(client);
    if (!keys.ok) return { ...keys, checkedRows };
    const trusted = checkpoints.flatMap((c) => (typeof c.parsed === 'string' ? [] : [c.parsed]));
    const rows = await checkpointedRows(client, trusted);
    // Newest first: the last checkpoint names the most rows, so a truncation is reported in full against it.
    for (const { line, parsed } of [...checkpoints].reverse()) {
      if (typeof parsed === 'string') return { ok: false, checkedRows, firstBadId: null, reason: parsed };
      const check = checkAgainstDatabase(rows, line, parsed, anchors);
      if (!check.ok) return { ...check, checkedRows };
    }
    return CHAIN_OK(checkedRows);
  } finally {
    await client.query('COMMIT').catch(() => undefined);
  }
}
