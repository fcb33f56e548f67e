/**
 * Anchors and verification on PostgreSQL. The walk is the SQLite one
 * (chain.ts verifyChain) over pages of rows read in one REPEATABLE READ
 * snapshot, so writers of every gateway can go on while a verify runs and the
 * result describes one consistent moment.
 */
import { anchorProblem, type StoredAnchor } from '../anchors.js';
import { CHAIN_OK, CHAINS, type ChainCheck, type ChainName, GENESIS_HASH, type Row, rowHash, type Sealer } from '../chain.js';
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
    const head = heads.get(chain);
    const unsigned = { chain, firstMacId: head ? head.lastId + 1 : 1, prevHash: head ? head.lastHash : GENESIS_HASH, keyId: sealer.key.id, createdAt: now };
    // The same MACed body as anchors.ts, so anchorProblem() checks these too.
    const mac = sealer.mac({ anchor: unsigned });
    await client.query('INSERT INTO chain_anchors (chain, first_mac_id, prev_hash, key_id, created_at, mac) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (chain) DO NOTHING', [
      chain,
      unsigned.firstMacId,
      unsigned.prevHash,
      unsigned.keyId,
      now,
      mac,
    ]);
  }
}

const PAGE = 2000;

async function walkChain(db: Queryable, chain: ChainName, anchor: StoredAnchor, sealer: Sealer | null): Promise<ChainCheck> {
  let prevHash = GENESIS_HASH;
  let expectedId = 1;
  let checked = 0;
  const bad = (id: number, reason: string): ChainCheck => ({ ok: false, checkedRows: checked, firstBadId: id, reason: `${chain} row ${id}: ${reason}` });
  const rewritten = `the rows before the HMAC upgrade (rows 1-${anchor.firstMacId - 1}) no longer end in the hash recorded at the upgrade: one of them was edited and the plain SHA-256 chain recomputed`;
  for (;;) {
    const page = (await db.query<Row>(`SELECT * FROM ${chain} WHERE id >= $1 ORDER BY id LIMIT ${PAGE}`, [expectedId])).rows;
    for (const row of page) {
      const id = Number(row.id);
      if (id !== expectedId) return bad(id, `${expectedId === id - 1 ? `row ${expectedId} is missing` : `rows ${expectedId}-${id - 1} are missing`} (deleted)`);
      if (row.prev_hash !== prevHash) return bad(id, 'prev_hash does not match the previous row (a row before it was removed or replaced)');
      if (id < anchor.firstMacId) {
        if (rowHash(chain, row) !== row.hash) return bad(id, 'content does not match its hash (the row was edited)');
      } else {
        if (id === anchor.firstMacId && prevHash !== anchor.prevHash) return bad(id, rewritten);
        if (sealer === null) return bad(id, 'cannot be checked: the audit HMAC key is not available');
        if (sealer.row(chain, row) !== row.hash) return bad(id, 'content does not match its HMAC (the row was edited, or written without the key)');
      }
      prevHash = String(row.hash);
      expectedId = id + 1;
      checked += 1;
    }
    if (page.length < PAGE) break;
  }
  const lastId = expectedId - 1;
  if (lastId < anchor.firstMacId - 1) return bad(lastId + 1, `the table ends at row ${lastId} but held ${anchor.firstMacId - 1} rows at the HMAC upgrade (rows removed from the end)`);
  if (lastId === anchor.firstMacId - 1 && prevHash !== anchor.prevHash) return bad(lastId, rewritten);
  const head = (await db.query<{ last_id: number; last_hash: string }>('SELECT last_id, last_hash FROM chain_heads WHERE chain = $1', [chain])).rows[0];
  if (!head) return lastId === 0 ? CHAIN_OK(0) : bad(1, 'the chain head record is missing');
  if (head.last_id > lastId) return bad(lastId + 1, `the chain head records row ${head.last_id} but the table ends at row ${lastId} (rows removed from the end)`);
  if (head.last_id < lastId) return bad(head.last_id + 1, `rows after the chain head (row ${head.last_id}) were not written by the audit store`);
  if (head.last_hash !== prevHash) return bad(lastId, "the last row's hash differs from the one recorded in the chain head (the row was replaced)");
  return CHAIN_OK(checked);
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
