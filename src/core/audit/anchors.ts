/**
 * chain_anchors: for each chain, the first row hashed with the HMAC key and
 * the hash of the (plain SHA-256) row before it, MACed under the key. Written
 * once per chain when a file is first opened by a build with keyed chains: a
 * new file anchors at row 1, an upgraded one at the row after its old head,
 * so old rows are verified as they are and bound to the keyed rows after
 * them. The checkpoint file repeats the anchors, so a file rewritten to look
 * as if it had never been upgraded is noticed too.
 */
import { type Anchor, type ChainHead, type ChainName, CHAINS, GENESIS_HASH, type Sealer } from './chain.js';

export interface StoredAnchor extends Anchor {
  chain: ChainName;
  keyId: string;
  createdAt: string;
  mac: string;
}

/** A chain_anchors row, as both back ends store it. */
export interface AnchorRow {
  chain: string;
  first_mac_id: number;
  prev_hash: string;
  key_id: string;
  created_at: string;
  mac: string;
}

export const toAnchorRow = (a: StoredAnchor): AnchorRow => ({ chain: a.chain, first_mac_id: a.firstMacId, prev_hash: a.prevHash, key_id: a.keyId, created_at: a.createdAt, mac: a.mac });

/** The stored anchors by chain; a row naming no known chain is passed over (verify then reports that chain's anchor missing). */
export function anchorsByChain(rows: Iterable<AnchorRow>): Map<ChainName, StoredAnchor> {
  const out = new Map<ChainName, StoredAnchor>();
  for (const r of rows) {
    const chain = CHAINS.find((c) => c === r.chain);
    if (chain !== undefined) out.set(chain, { chain, firstMacId: r.first_mac_id, prevHash: r.prev_hash, keyId: r.key_id, createdAt: r.created_at, mac: r.mac });
  }
  return out;
}

const body = (a: Omit<StoredAnchor, 'mac'>): unknown => ({
  anchor: { chain: a.chain, firstMacId: a.firstMacId, prevHash: a.prevHash, keyId: a.keyId, createdAt: a.createdAt },
});

/** An anchor for a chain whose head is `head` now (the next row is the first MACed one). */
export function signAnchor(chain: ChainName, head: ChainHead | null, sealer: Sealer, now: string): StoredAnchor {
  const unsigned = { chain, firstMacId: head ? head.lastId + 1 : 1, prevHash: head ? head.lastHash : GENESIS_HASH, keyId: sealer.key.id, createdAt: now };
  return { ...unsigned, mac: sealer.mac(body(unsigned)) };
}

/** Why an anchor cannot be trusted, or null when its MAC holds under `sealer`. */
export function anchorProblem(anchor: StoredAnchor, sealer: Sealer | null): string | null {
  if (sealer === null) return `the audit HMAC key (id ${anchor.keyId}) is not available`;
  if (anchor.keyId !== sealer.key.id) return `the chain was sealed with HMAC key ${anchor.keyId}, but the key in use is ${sealer.key.id}`;
  if (sealer.mac(body(anchor)) !== anchor.mac) return 'its HMAC upgrade record (chain_anchors) was altered';
  return null;
}
