/**
 * chain_anchors: for each chain, the first row hashed with the HMAC key and
 * the hash of the (plain SHA-256) row before it, MACed under the key. Written
 * once per chain when a file is first opened by a build with keyed chains: a
 * new file anchors at row 1, an upgraded one at the row after its old head,
 * so old rows are verified as they are and bound to the keyed rows after
 * them. The checkpoint file repeats the anchors, so a file rewritten to look
 * as if it had never been upgraded is noticed too.
 */
import type Database from 'better-sqlite3';
import { type Anchor, CHAINS, type ChainHeads, type ChainName, GENESIS_HASH, type Sealer } from './chain.js';

interface AnchorRow {
  chain: string;
  first_mac_id: number;
  prev_hash: string;
  key_id: string;
  created_at: string;
  mac: string;
}

export interface StoredAnchor extends Anchor {
  chain: ChainName;
  keyId: string;
  createdAt: string;
  mac: string;
}

const body = (a: Omit<StoredAnchor, 'mac'>): unknown => ({
  anchor: { chain: a.chain, firstMacId: a.firstMacId, prevHash: a.prevHash, keyId: a.keyId, createdAt: a.createdAt },
});

export class ChainAnchors {
  private readonly select: Database.Statement<[], AnchorRow>;
  private readonly insert: Database.Statement<[AnchorRow]>;

  constructor(db: Database.Database) {
    this.select = db.prepare('SELECT chain, first_mac_id, prev_hash, key_id, created_at, mac FROM chain_anchors');
    this.insert = db.prepare(
      'INSERT INTO chain_anchors (chain, first_mac_id, prev_hash, key_id, created_at, mac) VALUES (@chain, @first_mac_id, @prev_hash, @key_id, @created_at, @mac) ON CONFLICT(chain) DO NOTHING',
    );
  }

  all(): Map<ChainName, StoredAnchor> {
    const out = new Map<ChainName, StoredAnchor>();
    for (const r of this.select.all()) {
      const chain = CHAINS.find((c) => c === r.chain);
      if (chain === undefined) continue;
      out.set(chain, { chain, firstMacId: r.first_mac_id, prevHash: r.prev_hash, keyId: r.key_id, createdAt: r.created_at, mac: r.mac });
    }
    return out;
  }

  /** Anchors every chain that has no anchor yet at the row after its head. Call inside an IMMEDIATE transaction. */
  anchorMissing(heads: ChainHeads, sealer: Sealer, now: string): ChainName[] {
    const existing = this.all();
    const created: ChainName[] = [];
    for (const chain of CHAINS) {
      if (existing.has(chain)) continue;
      const head = heads.get(chain);
      const unsigned = { chain, firstMacId: head ? head.lastId + 1 : 1, prevHash: head ? head.lastHash : GENESIS_HASH, keyId: sealer.key.id, createdAt: now };
      const mac = sealer.mac(body(unsigned));
      this.insert.run({ chain, first_mac_id: unsigned.firstMacId, prev_hash: unsigned.prevHash, key_id: unsigned.keyId, created_at: now, mac });
      created.push(chain);
    }
    return created;
  }
}

/** Why an anchor cannot be trusted, or null when its MAC holds under `sealer`. */
export function anchorProblem(anchor: StoredAnchor, sealer: Sealer | null): string | null {
  if (sealer === null) return `the audit HMAC key (id ${anchor.keyId}) is not available`;
  if (anchor.keyId !== sealer.key.id) return `the chain was sealed with HMAC key ${anchor.keyId}, but the key in use is ${sealer.key.id}`;
  if (sealer.mac(body(anchor)) !== anchor.mac) return 'its HMAC upgrade record (chain_anchors) was altered';
  return null;
}
