/**
 * Anchors and verification on PostgreSQL. The walk is the shared one
 * (chain.ts ChainWalk) over pages of rows read in one REPEATABLE READ
 * snapshot, so writers of every gateway can go on while a verify runs and the
 * result describes one consistent moment.
 */
import { anchorProblem, signAnchor, type StoredAnchor } from '../anchors.js';
import { CHAIN_OK, CHAINS, type ChainCheck, type ChainName, ChainWalk, type Row, type Sealer } from '../chain.js';
import type { PoolClient, Queryable } from './connection.js';
import type { PgHeads } from './transaction.js';

interface AnchorRow {
  chain: string;
  first_mac_id: number;
  prev_hash: string;
  key_id: string;
  created_at: string;
  mac: string;
}

export async function loadAnchors(db: Queryable): Promise<Map<ChainName, StoredAnchor>> {
  const out = new Map<ChainName, StoredAnchor>();
  for (const r of (await db.query<AnchorRow>('SELECT * FROM chain_anchors')).rows) {
    const chain = CHAINS.find((c) => c === r.chain);
    if (chain !== undefined) out.set(chain, { chain, firstMacId: r.first_mac_id, prevHash: r.prev_hash, keyId: r.key_id, createdAt: r.created_at, mac: r.mac });
  }
  return out;
}

/** Anchors every chain without one at the row after its head (row 1 on a new database). Inside a write transaction. */
export async function anchorMissing(client: PoolClient, heads: PgHeads, sealer: Sealer, now: string): Promise<void> {
  const existing = await loadAnchors(client);
  for (const chain of CHAINS) {
    if (existing.has(chain)) continue;
    const a = signAnchor(chain, heads.get(chain), sealer, now);
    await client.query('INSERT INTO chain_anchors (chain, first_mac_id, prev_hash, key_id, created_at, mac) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (chain) DO NOTHING', [
      chain,
      a.firstMacId,
      a.prevHash,
      a.keyId,
      a.createdAt,
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

/** idempotency_keys against the last chained change of each key (as state-log.ts does on SQLite). */
async function checkKeys(db: Queryable): Promise<ChainCheck> {
  const latest = await db.query<{ id: number; name: string; key: string; change: string; owner: string | null; request_hash: string | null; value: string | null }>(
    "SELECT DISTINCT ON (name, key) id, name, key, change, owner, request_hash, value FROM state_log WHERE kind = 'idempotency' ORDER BY name, key, id DESC",
  );
  const expected = new Map(latest.rows.map((r) => [`${r.name}\u0000${r.key}`, r]));
  const keys = await db.query<{ scope: string; key: string; owner: string | null; request_hash: string; state: string; result: string | null }>('SELECT * FROM idempotency_keys');
  const bad = (id: number | null, reason: string): ChainCheck => ({ ok: false, checkedRows: 0, firstBadId: id, reason });
  for (const k of keys.rows) {
    const id = `${k.scope}\u0000${k.key}`;
    const row = expected.get(id);
    expected.delete(id);
    const what = `idempotency key ${k.scope}/${k.key}`;
    if (!row || row.change === 'released') return bad(row?.id ?? null, `${what} is in idempotency_keys but its chained history in state_log ${row ? `(row ${row.id}) released it` : 'has no record of it'}: the row was inserted behind the store's back`);
    const wantState = row.change === 'completed' ? 'complete' : 'in_progress';
    const same = k.state === wantState && k.owner === row.owner && k.request_hash === row.request_hash && (row.change !== 'completed' || (k.result ?? 'null') === row.value);
    if (!same) return bad(row.id, `state_log row ${row.id}: ${what} in idempotency_keys differs from its last chained change (${row.change}): the row was edited`);
  }
  for (const row of expected.values()) {
    if (row.change !== 'released') return bad(row.id, `state_log row ${row.id}: idempotency key ${row.name}/${row.key} (${row.change}) is missing from idempotency_keys: the row was deleted`);
  }
  return CHAIN_OK(0);
}

/** Every chain, its anchor and the idempotency keys, in one snapshot of `client` (a dedicated connection). */
export async function verifyPostgres(client: PoolClient, sealer: Sealer | null): Promise<ChainCheck> {
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
    return keys.ok ? CHAIN_OK(checkedRows) : { ...keys, checkedRows };
  } finally {
    await client.query('COMMIT').catch(() => undefined);
  }
}
