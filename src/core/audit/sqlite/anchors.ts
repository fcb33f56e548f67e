/** chain_anchors in SQLite (what an anchor is and how it is checked: ../anchors.ts). */
import type Database from 'better-sqlite3';
import { signAnchor, type StoredAnchor } from '../anchors.js';
import { CHAINS, type ChainName, type Sealer } from '../chain.js';
import type { ChainHeads } from './chain-heads.js';

interface AnchorRow {
  chain: string;
  first_mac_id: number;
  prev_hash: string;
  key_id: string;
  created_at: string;
  mac: string;
}

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
      const a = signAnchor(chain, heads.get(chain), sealer, now);
      this.insert.run({ chain, first_mac_id: a.firstMacId, prev_hash: a.prevHash, key_id: a.keyId, created_at: a.createdAt, mac: a.mac });
      created.push(chain);
    }
    return created;
  }
}

