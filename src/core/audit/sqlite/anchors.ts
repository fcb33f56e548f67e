/** chain_anchors in SQLite (what an anchor is and how it is checked: ../anchors.ts). */
import type Database from 'better-sqlite3';
import { type AnchorRow, anchorsByChain, signAnchor, type StoredAnchor, toAnchorRow } from '../anchors.js';
import { CHAINS, type ChainName, type Sealer } from '../chain.js';
import type { ChainHeads } from './chain-heads.js';

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
    return anchorsByChain(this.select.all());
  }

  /** Anchors every chain that has no anchor yet at the row after its head. Call inside an IMMEDIATE transaction. */
  anchorMissing(heads: ChainHeads, sealer: Sealer, now: string): ChainName[] {
    const existing = this.all();
    const created: ChainName[] = [];
    for (const chain of CHAINS) {
      if (existing.has(chain)) continue;
      const a = signAnchor(chain, heads.get(chain), sealer, now);
      this.insert.run(toAnchorRow(a));
      created.push(chain);
    }
    return created;
  }
}

